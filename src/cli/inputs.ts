import { readFile } from "node:fs/promises";
import { z } from "zod";
import { InputError, parseObservationSnapshotText, UsageError, type ObservationSnapshot } from "../domain/index.js";
import { formatPolicyProblem, loadPolicyFile, type LoadedPolicy } from "../policy/index.js";

const isoTime = z.iso.datetime({ offset: true });

/** `--at`: an ISO time with a zone; the evaluation time is always an input, never the clock's. */
export function parseAtOption(value: string | undefined): string | undefined {
  if (value !== undefined && !isoTime.safeParse(value).success) {
    throw new UsageError(`--at: "${value}" is not an ISO 8601 time with a zone, such as 2026-11-21T06:00:00Z`);
  }
  return value;
}

export async function readSnapshotFile(file: string): Promise<ObservationSnapshot> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (error as Error).message;
    throw new InputError(`${file}: cannot read the observation snapshot (${reason}); write one with "rightsize snapshot"`, { file });
  }
  return parseObservationSnapshotText(text, file);
}

/** Loads the policy and prints its warnings (a newer version, a legacy one) on stderr. */
export async function loadPolicyWithWarnings(file: string | undefined, repoDir?: string): Promise<LoadedPolicy> {
  const loaded = await loadPolicyFile(file, repoDir);
  for (const warning of loaded.warnings) process.stderr.write(`rightsize: ${formatPolicyProblem(warning)}\n`);
  return loaded;
}
