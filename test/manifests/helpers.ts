import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RepoFile } from "../../src/manifests/index.js";

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/manifests");

export function fixture(...parts: string[]): string {
  return readFileSync(path.join(FIXTURES, ...parts), "utf8");
}

/** Every file under a fixture directory, with repo-relative posix paths, as a checkout would give them. */
export function fixtureRepo(name: string): RepoFile[] {
  const root = path.join(FIXTURES, "repos", name);
  const files: RepoFile[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else files.push({ path: child, text: readFileSync(path.join(root, child), "utf8") });
    }
  };
  walk("");
  return files;
}
