import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { InputError } from "../domain/index.js";
import { defaultPolicy, DEFAULTS_SOURCE, loadPolicy, type LoadedPolicy, type PolicyText } from "./load.js";

export const DEFAULT_POLICY_PATH = ".github/rightsize.yml";

/**
 * Reads a policy file and the local files it `_extends` (the CLI's counterpart of Probot's
 * `context.config`). With no explicit path, a missing file means the defaults (SPEC §7).
 */
export async function loadPolicyFile(file: string | undefined, repoDir = "."): Promise<LoadedPolicy> {
  const policyPath = file ?? path.join(repoDir, DEFAULT_POLICY_PATH);
  const text = await readOptional(policyPath);
  if (text === undefined) {
    if (file !== undefined) throw new InputError(`${file}: policy file not found; check the path (without a file, the defaults apply)`, { file });
    return { policy: defaultPolicy(), source: DEFAULTS_SOURCE, canPropose: true, warnings: [] };
  }
  const displayPath = file ?? DEFAULT_POLICY_PATH;
  return loadPolicy({ path: displayPath, text }, await readBases(policyPath, displayPath, text));
}

async function readBases(policyPath: string, displayPath: string, text: string): Promise<PolicyText[]> {
  const bases: PolicyText[] = [];
  const seen = new Set([path.resolve(policyPath)]);
  let current = { path: policyPath, display: displayPath, text };
  for (;;) {
    const reference = extendsOf(current.text);
    if (reference === undefined) return bases;
    const basePath = path.resolve(path.dirname(current.path), reference);
    if (seen.has(basePath)) {
      throw new InputError(`${current.display}: _extends: "${reference}" was already loaded; remove the loop between these files`, { file: current.display, field: "_extends" });
    }
    seen.add(basePath);
    const baseText = await readOptional(basePath);
    if (baseText === undefined) {
      throw new InputError(
        `${current.display}: _extends: "${reference}" not found at ${basePath}; the CLI reads _extends as a file path relative to the policy file`,
        { file: current.display, field: "_extends" },
      );
    }
    const display = path.relative(process.cwd(), basePath) || basePath;
    bases.push({ path: display, text: baseText });
    current = { path: basePath, display, text: baseText };
  }
}

function extendsOf(text: string): string | undefined {
  try {
    const value: unknown = parse(text);
    const reference = value !== null && typeof value === "object" ? (value as Record<string, unknown>)._extends : undefined;
    return typeof reference === "string" ? reference : undefined;
  } catch {
    // Syntax errors are reported with positions by loadPolicy.
    return undefined;
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InputError(`${file}: cannot read the policy file (${(error as Error).message})`, { file });
  }
}
