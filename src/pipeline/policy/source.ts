import path from "node:path";
import { parse } from "yaml";
import { InputError } from "../../domain/index.js";
import { DEFAULT_POLICY_PATH, DEFAULTS_SOURCE, defaultPolicy, loadPolicy, type LoadedPolicy, type PolicyText } from "../../policy/index.js";
import type { RepoFile } from "../../manifests/index.js";

/** At most this many `_extends` hops: a chain longer than that is a mistake, not a layout. */
const MAX_EXTENDS = 10;

/**
 * Finds the base a policy `_extends`: a file of the same commit, another repository's file (the
 * app, as Probot's `context.config` resolves it), or nothing. It returns only texts rightsize may
 * read; a reference it may not follow is an InputError naming the reference, never the content.
 */
export type PolicyBaseReader = (reference: string, from: PolicyText) => Promise<PolicyText | undefined>;

/**
 * Loads a policy and the chain of bases it `_extends`, nearest first (SPEC §7). Errors cite the
 * file, line and column of the policy text only.
 */
export async function loadPolicyChain(file: PolicyText, readBase: PolicyBaseReader): Promise<LoadedPolicy> {
  const bases: PolicyText[] = [];
  const seen = new Set([file.path]);
  for (let current = file; ; ) {
    const reference = extendsOf(current.text);
    if (reference === undefined) break;
    if (bases.length >= MAX_EXTENDS) {
      throw new InputError(`${current.path}: _extends: more than ${MAX_EXTENDS} files extend each other; shorten the chain`, { file: current.path, field: "_extends" });
    }
    const base = await readBase(reference, current);
    if (!base) throw new InputError(`${current.path}: _extends: "${reference}" was not found; check the name`, { file: current.path, field: "_extends" });
    if (seen.has(base.path)) {
      throw new InputError(`${current.path}: _extends: "${reference}" was already loaded; remove the loop between these files`, { file: current.path, field: "_extends" });
    }
    seen.add(base.path);
    bases.push(base);
    current = base;
  }
  return loadPolicy(file, bases);
}

/**
 * The policy of a commit: `.github/rightsize.yml` among its files, `_extends` resolved to files of
 * the same commit (relative to the policy file, never outside the repository). No file: the
 * defaults (SPEC §7).
 */
export async function loadPolicyFromFiles(files: readonly RepoFile[], policyPath = DEFAULT_POLICY_PATH): Promise<LoadedPolicy> {
  const byPath = new Map(files.map((file) => [file.path, file.text]));
  const text = byPath.get(policyPath);
  if (text === undefined) return { policy: defaultPolicy(), source: DEFAULTS_SOURCE, canPropose: true, warnings: [] };
  return loadPolicyChain({ path: policyPath, text }, async (reference, from) => {
    const target = repositoryPath(reference, from.path);
    const baseText = byPath.get(target);
    return baseText === undefined ? undefined : { path: target, text: baseText };
  });
}

/** `_extends` as a path inside the repository, relative to the file that names it. */
export function repositoryPath(reference: string, fromPath: string): string {
  const fail = (why: string) =>
    new InputError(`${fromPath}: _extends: "${reference}" ${why}; name a file inside the repository, relative to ${fromPath}`, { file: fromPath, field: "_extends" });
  if (path.posix.isAbsolute(reference) || /^[A-Za-z]:[\\/]/.test(reference)) throw fail("is an absolute path");
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(fromPath), reference));
  if (resolved === ".." || resolved.startsWith("../")) throw fail("leaves the repository");
  return resolved;
}

function extendsOf(text: string): string | undefined {
  try {
    const value: unknown = parse(text, { maxAliasCount: 100 });
    const reference = value !== null && typeof value === "object" ? (value as Record<string, unknown>)._extends : undefined;
    return typeof reference === "string" ? reference : undefined;
  } catch {
    // Syntax errors are reported with positions by loadPolicy.
    return undefined;
  }
}
