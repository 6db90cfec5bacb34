import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const IDENTITY = {
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.com",
  GIT_COMMITTER_NAME: "Test Author",
  GIT_COMMITTER_EMAIL: "author@example.com",
};

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, env: { ...process.env, ...IDENTITY }, encoding: "utf8" });
}

export interface ExampleRepo {
  root: string;
  work: string;
  remote: string;
  cleanup(): void;
}

/** A clone of the example config repo with a local bare repository as its `origin`. */
export function exampleRepo(): ExampleRepo {
  const root = mkdtempSync(path.join(tmpdir(), "rightsize-test-"));
  const work = path.join(root, "work");
  const remote = path.join(root, "remote.git");
  cpSync(path.join(import.meta.dirname, "../../examples/config-repo"), work, { recursive: true });
  git(root, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  git(work, "init", "--quiet", "--initial-branch=main");
  git(work, "add", ".");
  git(work, "commit", "--quiet", "-m", "Example shop config repo");
  git(work, "remote", "add", "origin", remote);
  git(work, "push", "--quiet", "origin", "main");
  git(work, "remote", "set-head", "origin", "main");
  return { root, work, remote, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
