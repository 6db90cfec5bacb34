import { randomBytes } from "node:crypto";
import { rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { InputError } from "./errors.js";

/**
 * Writes next to the target, then renames over it: a reader sees the old file or the new one,
 * never half of one. An existing file keeps its permission bits; the directory must exist.
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
