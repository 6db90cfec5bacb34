import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The directory holding rightsize's package.json (and examples/, schemas/). Found by walking up
 * from this code, because it runs from src/ under tsx and vitest but from a bundle chunk in dist/.
 */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  for (let directory = start; ; directory = path.dirname(directory)) {
    if (existsSync(path.join(directory, "package.json"))) return directory;
    if (path.dirname(directory) === directory) throw new Error(`rightsize: no package.json above ${start}; reinstall rightsize`);
  }
}
