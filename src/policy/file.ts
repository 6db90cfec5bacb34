import { realpath } from "node:fs/promises";
import path from "node:path";
import { InputError, isWithin, readTextFileBounded, repositoryRootOf, type BoundedRead } from "../domain/index.js";
import { formatBytes, formatSize, YAML_BOUNDS } from "../yaml/index.js";
import { defaultPolicy, DEFAULTS_SOURCE, extendsReference, loadPolicy, PolicyInvalidError, type LoadedPolicy, type PolicyProblem, type PolicyText } from "./load.js";

export const DEFAULT_POLICY_PATH = ".github/rightsize.yml";

/** Probot follows `_extends` chains too; more than this many files is a loop in all but name. */
const MAX_EXTENDS_DEPTH = 10;

/**
 * Reads a policy file and the local files it `_extends` (the CLI's counterpart of Probot's
 * `context.config`). With no explicit path, a missing file means the defaults (SPEC §7).
 *
 * The repository decides what `_extends` names, and a GitHub App runs on repositories its
 * operator does not control: a base must be a regular file inside the repository (no absolute
 * path, no `..` out of it, no symbolic link out of it), and an error names the file, line and
 * column, never the contents of what it points at. The repository is `repoDir` when the policy
 * lies in it, else the git work tree around the policy file, else the policy file's directory.
 */
export async function loadPolicyFile(file: string | undefined, repoDir = "."): Promise<LoadedPolicy> {
  const policyPath = file ?? path.join(repoDir, DEFAULT_POLICY_PATH);
  const displayPath = file ?? DEFAULT_POLICY_PATH;
  const root = await repositoryOf(policyPath, repoDir);
  // The default file is the repository's: it may not point outside it. A file the user names is theirs.
  if (file === undefined && !(await insideRoot(root, policyPath))) {
    throw new InputError(`${displayPath}: is a symbolic link to a file outside the repository; make it a regular file`, { file: displayPath });
  }
  const read = await readTextFileBounded(policyPath, YAML_BOUNDS.policyBytes);
  if (read.kind === "missing") {
    if (file !== undefined) throw new InputError(`${file}: policy file not found; check the path (without a file, the defaults apply)`, { file });
    return { policy: defaultPolicy(), source: DEFAULTS_SOURCE, canPropose: true, warnings: [] };
  }
  if (read.kind !== "text") throw new PolicyInvalidError([unreadable(displayPath, read)]);
  return loadPolicy({ path: displayPath, text: read.text }, await readBases(root, policyPath, displayPath, read.text));
}

async function repositoryOf(policyPath: string, repoDir: string): Promise<string> {
  const directory = path.resolve(repoDir);
  if (isWithin(directory, path.resolve(policyPath))) return realpath(directory).catch(() => directory);
  const fallback = path.basename(path.dirname(path.resolve(policyPath))) === ".github" ? path.dirname(path.dirname(path.resolve(policyPath))) : path.dirname(path.resolve(policyPath));
  const root = await repositoryRootOf(policyPath, fallback);
  return realpath(root).catch(() => root);
}

async function insideRoot(root: string, file: string): Promise<boolean> {
  const real = await realpath(file).catch(() => undefined);
  return real === undefined || isWithin(root, real);
}

async function readBases(root: string, policyPath: string, displayPath: string, text: string): Promise<PolicyText[]> {
  const bases: PolicyText[] = [];
  const seen = new Set([await realpath(policyPath).catch(() => path.resolve(policyPath))]);
  let current = { path: policyPath, display: displayPath, text };
  for (;;) {
    const reference = extendsReference({ path: current.display, text: current.text });
    if (reference === undefined) return bases;
    const refuse = (message: string): PolicyInvalidError =>
      new PolicyInvalidError([{ severity: "error", file: current.display, line: reference.line, column: reference.column, field: "_extends", message }]);
    if ("problem" in reference) throw refuse(reference.problem);
    const name = JSON.stringify(reference.value);
    if (path.isAbsolute(reference.value) || /^[a-z]:[\\/]/i.test(reference.value)) {
      throw refuse(`${name} is an absolute path; name a file inside the repository, relative to ${path.basename(current.display)}`);
    }
    const basePath = path.resolve(path.dirname(current.path), reference.value);
    if (!isWithin(root, basePath) && !isWithin(root, await realpath(path.dirname(basePath)).catch(() => basePath))) {
      throw refuse(`${name} leads out of the repository; _extends may only name a file inside it`);
    }
    const real = await realpath(basePath).catch(() => undefined);
    if (real !== undefined && !isWithin(root, real)) throw refuse(`${name} is a symbolic link to a file outside the repository; _extends may only name a file inside it`);
    if (seen.has(real ?? basePath)) throw refuse(`${name} was already loaded; remove the loop between these files`);
    if (bases.length >= MAX_EXTENDS_DEPTH) throw refuse(`more than ${MAX_EXTENDS_DEPTH} files extend each other; merge some of them`);
    seen.add(real ?? basePath);
    const read = await readTextFileBounded(real ?? basePath, YAML_BOUNDS.policyBytes);
    const display = path.relative(process.cwd(), basePath) || basePath;
    if (read.kind === "missing") throw refuse(`${name} not found at ${display}; the CLI reads _extends as a file path relative to the policy file`);
    if (read.kind !== "text") throw refuse(`${name}: ${unreadable(display, read).message}`);
    const baseText = read.text;
    bases.push({ path: display, text: baseText });
    current = { path: basePath, display, text: baseText };
  }
}

type Unreadable = Exclude<BoundedRead, { kind: "text" } | { kind: "missing" }>;

function unreadable(file: string, read: Unreadable): PolicyProblem {
  const at = { severity: "error" as const, file, line: 1, column: 1, field: "" };
  switch (read.kind) {
    case "not-a-file":
      return { ...at, message: "is not a regular file; a policy is a YAML file" };
    case "too-large":
      return { ...at, message: `is ${formatSize(read.bytes, YAML_BOUNDS.policyBytes)}, more than the ${formatBytes(YAML_BOUNDS.policyBytes)} a policy file may be; move what is not policy elsewhere` };
    case "not-utf8":
      return { ...at, line: read.invalid.line, column: read.invalid.column, message: "is not UTF-8 text; save it as UTF-8" };
  }
}
