import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { decodeUtf8, ExternalError, readTextFileBounded, type InvalidUtf8 } from "../../domain/index.js";
import type { RepoFile } from "../../manifests/index.js";
import { formatBytes, formatSize, YAML_BOUNDS } from "../../yaml/index.js";

const YAML_FILE = /\.ya?ml$/i;
const NEVER_SCANNED = new Set([".git", "node_modules"]);

/**
 * Every YAML file of a working tree (discovery applies the policy's globs to this list).
 * Symbolic links are not followed (a repository's link may point anywhere on this machine);
 * a file over the manifest bound is not read, and a file that is not UTF-8 is not decoded
 * leniently: each comes back with a `problem`, which discovery lists and no edit touches.
 */
export async function readWorkingTreeFiles(root: string): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  async function walk(relative: string): Promise<void> {
    const entries = await readdir(path.join(root, relative), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory() && !NEVER_SCANNED.has(entry.name)) await walk(child);
      else if (entry.isFile() && YAML_FILE.test(entry.name)) files.push(await readWorkingTreeFile(root, child));
    }
  }
  await walk("");
  return files;
}

async function readWorkingTreeFile(root: string, file: string): Promise<RepoFile> {
  const read = await readTextFileBounded(path.join(root, file), YAML_BOUNDS.manifestBytes);
  switch (read.kind) {
    case "text":
      return { path: file, text: read.text };
    case "too-large":
      return tooLarge(file, read.bytes);
    case "not-utf8": {
      // Read again, leniently, only to tell a manifest from other YAML; this text is never parsed or edited.
      return notUtf8(file, await readFile(path.join(root, file)), read.invalid);
    }
    default:
      return { path: file, text: "", problem: "could not be read as a regular file" };
  }
}

/**
 * Every YAML file of a commit, read with one `git cat-file --batch` process: proposals are
 * computed from the commit the branch will start from, not from a possibly dirty working tree.
 * Only regular blobs are read (no symbolic links, no submodules); sizes come from the tree
 * listing, so a blob over the bound is never loaded.
 */
export async function readCommitFiles(repoDir: string, commit: string): Promise<RepoFile[]> {
  const listing = await runGit(repoDir, ["ls-tree", "-r", "-z", "-l", commit]);
  const entries = listing
    .toString("utf8")
    .split("\0")
    .flatMap((line) => {
      // <mode> SP <type> SP <object> SP+ <size> TAB <path>
      const match = /^(\d+) (\w+) ([0-9a-f]+) +(\d+|-)\t(.*)$/s.exec(line);
      if (!match) return [];
      const [, mode, type, object, size, file] = match as unknown as [string, string, string, string, string, string];
      if (type !== "blob" || (mode !== "100644" && mode !== "100755") || !YAML_FILE.test(file) || file.split("/").some((part) => NEVER_SCANNED.has(part))) return [];
      return [{ file, object, size: Number(size) }];
    });
  const files = new Map<string, RepoFile>();
  const small = entries.filter((entry) => {
    if (entry.size <= YAML_BOUNDS.manifestBytes) return true;
    files.set(entry.file, tooLarge(entry.file, entry.size));
    return false;
  });
  if (small.length > 0) {
    const batch = await runGit(repoDir, ["cat-file", "--batch"], small.map((entry) => `${entry.object}\n`).join(""));
    let offset = 0;
    for (const entry of small) {
      const headerEnd = batch.indexOf(10, offset);
      const size = Number(batch.toString("utf8", offset, headerEnd).split(" ")[2]);
      files.set(entry.file, repoFileFromBytes(entry.file, batch.subarray(headerEnd + 1, headerEnd + 1 + size)));
      offset = headerEnd + 1 + size + 1;
    }
  }
  return entries.map((entry) => files.get(entry.file)!);
}

/**
 * A file of the checkout from its bytes, as both readers make it: strictly UTF-8 and within the
 * manifest bound, else with a `problem` (and, for bytes that are not UTF-8, a lenient decoding
 * that only serves to tell a manifest from other YAML).
 */
export function repoFileFromBytes(file: string, bytes: Uint8Array): RepoFile {
  if (bytes.length > YAML_BOUNDS.manifestBytes) return tooLarge(file, bytes.length);
  const decoded = decodeUtf8(bytes);
  return "text" in decoded ? { path: file, text: decoded.text } : notUtf8(file, bytes, decoded.invalid);
}

function tooLarge(file: string, bytes: number): RepoFile {
  return { path: file, text: "", problem: `is ${formatSize(bytes, YAML_BOUNDS.manifestBytes)}, more than the ${formatBytes(YAML_BOUNDS.manifestBytes)} rightsize reads; it is not read or edited` };
}

function notUtf8(file: string, bytes: Uint8Array, invalid: InvalidUtf8): RepoFile {
  return {
    path: file,
    text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes),
    problem: `is not UTF-8 (line ${invalid.line}, column ${invalid.column}); it is not edited, so its bytes are never rewritten: save it as UTF-8`,
  };
}

function runGit(cwd: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    const output: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdout!.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => errors.push(chunk));
    child.on("error", (error) => reject(new ExternalError(`git ${args[0]} failed to start: ${error.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(output));
      else reject(new ExternalError(`git ${args.join(" ")} failed in ${cwd}: ${Buffer.concat(errors).toString("utf8").trim()}`));
    });
    if (input !== undefined) {
      // A git that exits early closes its stdin; the close handler reports the real error.
      child.stdin!.on("error", () => undefined);
      child.stdin!.end(input);
    }
  });
}
