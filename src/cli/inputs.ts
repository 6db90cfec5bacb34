import { readFile } from "node:fs/promises";
import { InputError, IsoTimeSchema, parseObservationSnapshotText, UsageError, type ObservationSnapshot } from "../domain/index.js";
import { formatPolicyProblem, loadPolicyFile, type LoadedPolicy } from "../policy/index.js";

/** `--at`: an ISO time with a zone; the evaluation time is always an input, never the clock's. */
export function parseAtOption(value: string | undefined): string | undefined {
  if (value !== undefined && !IsoTimeSchema.safeParse(value).success) {
    throw new UsageError(`--at: "${value}" is not an ISO 8601 time with a zone, such as 2026-11-21T06:00:00Z`);
  }
  return value;
}

/** A file the user named; a missing or unreadable one is an input error that names it. */
export async function readInputFile(file: string, what: string, hint = ""): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "file not found" : code === "EISDIR" ? "it is a directory" : code === "EACCES" || code === "EPERM" ? "permission denied; check its permissions" : (error as Error).message;
    throw new InputError(`${file}: cannot read ${what} (${reason})${hint}`, { file });
  }
}

export async function readSnapshotFile(file: string): Promise<ObservationSnapshot> {
  const text = await readInputFile(file, "the observation snapshot", '; write one with "rightsize snapshot"');
  return parseObservationSnapshotText(text, file);
}

/** Loads the policy and prints its warnings (a newer version, a legacy one) on stderr. */
export async function loadPolicyWithWarnings(file: string | undefined, repoDir?: string): Promise<LoadedPolicy> {
  const loaded = await loadPolicyFile(file, repoDir);
  for (const warning of loaded.warnings) process.stderr.write(`rightsize: ${formatPolicyProblem(warning)}\n`);
  return loaded;
}
