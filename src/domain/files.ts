import { randomBytes } from "node:crypto";
import { lstat, open, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { InputError } from "./errors.js";

/**
 * Writes next to the target, then renames over it: a reader sees the old file or the new one,
 * never half of one. An existing file keeps its permission bits; the directory must exist.
 * A symbolic link at `file` is replaced, never followed (a checkout's link may point anywhere);
 * to write through a link, resolve it with `realTargetWithin` and write its target.
 */
export async function writeFileAtomically(file: string, content: string, what = "the file"): Promise<void> {
  const mode = await stat(file).then(
    (existing) => existing.mode & 0o7777,
    () => undefined,
  );
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.rightsize-${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temporary, content, { flag: "wx", ...(mode === undefined ? {} : { mode }) });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new InputError(`cannot write ${what} to ${file} (${(error as Error).message}); it is unchanged`, { file });
  }
}

/** Bytes that are not UTF-8, located for a message; the bytes themselves are never printed. */
export interface InvalidUtf8 {
  offset: number;
  line: number;
  column: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 strictly. Files are never decoded leniently, as a lenient decoder turns every
 * bad byte into U+FFFD and an edit would then write those instead of the original bytes. A BOM
 * is kept, so a file written back keeps it.
 */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { invalid: InvalidUtf8 } {
  try {
    return { text: decoder.decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let index = 0; index < offset; index++) {
      if (bytes[index] === 0x0a) {
        line++;
        lineStart = index + 1;
      }
    }
    return { invalid: { offset, line, column: offset - lineStart + 1 } };
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    let length: number;
    let min: number;
    if (lead < 0x80) {
      index++;
      continue;
    } else if (lead >= 0xc2 && lead <= 0xdf) [length, min] = [2, 0x80];
    else if (lead >= 0xe0 && lead <= 0xef) [length, min] = [3, 0x800];
    else if (lead >= 0xf0 && lead <= 0xf4) [length, min] = [4, 0x10000];
    else return index;
    if (index + length > bytes.length) return index;
    let codePoint = lead & (0xff >> (length + 1));
    for (let next = 1; next < length; next++) {
      const byte = bytes[index + next]!;
      if ((byte & 0xc0) !== 0x80) return index;
      codePoint = (codePoint << 6) | (byte & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return index;
    index += length;
  }
  return bytes.length;
}

export type BoundedRead =
  | { kind: "text"; text: string; bytes: number }
  | { kind: "missing" }
  | { kind: "not-a-file" }
  | { kind: "too-large"; bytes: number }
  | { kind: "not-utf8"; invalid: InvalidUtf8 };

/**
 * Reads a text file of at most `maxBytes`, strictly UTF-8. Only regular files are read (a FIFO
 * or a device would block or never end); a larger file is not read at all.
 */
export async function readTextFileBounded(file: string, maxBytes: number): Promise<BoundedRead> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
    if (code === "EISDIR") return { kind: "not-a-file" };
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { kind: "not-a-file" };
    if (info.size > maxBytes) return { kind: "too-large", bytes: info.size };
    // Sized from stat() with one byte to spare, grown (up to one byte past the bound) if the file grew since.
    let buffer = Buffer.allocUnsafe(info.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) return { kind: "too-large", bytes: length };
        buffer = Buffer.concat([buffer], Math.min(maxBytes + 1, buffer.length * 2));
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) return { kind: "too-large", bytes: length };
    const decoded = decodeUtf8(buffer.subarray(0, length));
    return "text" in decoded ? { kind: "text", text: decoded.text, bytes: length } : { kind: "not-utf8", invalid: decoded.invalid };
  } finally {
    await handle.close();
  }
}

/**
 * The real path of `file` when it (after following every symbolic link) lies inside `root`;
 * undefined when it leaves it. A missing file is judged by its directory.
 */
export async function realTargetWithin(root: string, file: string): Promise<string | undefined> {
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    const directory = await realpath(path.dirname(path.resolve(file))).catch(() => undefined);
    if (directory === undefined) return undefined;
    real = path.join(directory, path.basename(file));
  }
  return isWithin(realRoot, real) ? real : undefined;
}

export function isWithin(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (!relative.startsWith(`..${path.sep}`) && relative !== ".." && !path.isAbsolute(relative));
}

/**
 * The repository a file belongs to: the nearest directory at or above it that holds `.git`,
 * else `fallback`. Paths a repository's own files name (`_extends`, symlinks) must stay inside it.
 */
export async function repositoryRootOf(file: string, fallback: string): Promise<string> {
  let directory = path.dirname(path.resolve(file));
  for (;;) {
    if (await lstat(path.join(directory, ".git")).then(() => true, () => false)) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) return path.resolve(fallback);
    directory = parent;
  }
}
