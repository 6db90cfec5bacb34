import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { ExternalError } from "../domain/index.js";
import type { RepoFile } from "../manifests/index.js";

const YAML_FILE = /\.ya?ml$/i;
const NEVER_SCANNED = new Set([".git", "node_modules"]);

/** Every YAML file of a working tree (discovery applies the policy's globs to this list). */
export async function readWorkingTreeFiles(root: string): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  async function walk(relative: string): Promise<void> {
    const entries = await readdir(path.join(root, relative), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory() && !NEVER_SCANNED.has(entry.name)) await walk(child);
      else if (entry.isFile() && YAML_FILE.test(entry.name)) files.push({ path: child, text: await readFile(path.join(root, child), "utf8") });
    }
  }
  await walk("");
  return files;
}

/**
 * Every YAML file of a commit, read with one `git cat-file --batch` process: proposals are
 * computed from the commit the branch will start from, not from a possibly dirty working tree.
 */
export async function readCommitFiles(repoDir: string, commit: string): Promise<RepoFile[]> {
  const listing = await runGit(repoDir, ["ls-tree", "-r", "-z", "--name-only", commit]);
  const paths = listing.toString("utf8").split("\0").filter((file) => file !== "" && YAML_FILE.test(file) && !file.split("/").some((part) => NEVER_SCANNED.has(part)));
  if (paths.length === 0) return [];
  const batch = await runGit(repoDir, ["cat-file", "--batch"], paths.map((file) => `${commit}:${file}\n`).join(""));
  const files: RepoFile[] = [];
  let offset = 0;
  for (const file of paths) {
    const headerEnd = batch.indexOf(10, offset);
    const size = Number(batch.toString("utf8", offset, headerEnd).split(" ")[2]);
    files.push({ path: file, text: batch.toString("utf8", headerEnd + 1, headerEnd + 1 + size) });
    offset = headerEnd + 1 + size + 1;
  }
  return files;
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
