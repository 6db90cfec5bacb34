import { readFile } from "node:fs/promises";
import { ExternalError, InputError, IsoTimeSchema, parseObservationSnapshotText, UsageError, type ObservationSnapshot } from "../domain/index.js";
import { credentialsFromEnv, type ObservationProblem, type PrometheusSourceOptions } from "../observe/index.js";
import { formatPolicyProblem, loadPolicyFile, parseDuration, type LoadedPolicy } from "../policy/index.js";
import { printNotice } from "./output.js";

/** `--at`: an ISO time with a zone; the evaluation time is always an input, never the clock's. */
export function parseAtOption(value: string | undefined): string | undefined {
  if (value !== undefined && !IsoTimeSchema.safeParse(value).success) {
    throw new UsageError(`--at: "${value}" is not an ISO 8601 time with a zone, such as 2026-11-21T06:00:00Z`);
  }
  return value;
}

/** A duration flag (`30s`, `7d`) in seconds; 0 only where it means "none". */
export function parseDurationOption(text: string, flag: string, zeroAllowed = false): number {
  const parsed = parseDuration(text);
  if (!parsed) throw new UsageError(`${flag}: "${text}" is not a duration; use a whole number with s, m, h, d or w (e.g. 15s, 30m, 7d)`);
  if (parsed.seconds === 0 && !zeroAllowed) throw new UsageError(`${flag} must be longer than 0`);
  return parsed.seconds;
}

/** A whole-number flag of at least `minimum`. */
export function parseCountOption(text: string, flag: string, minimum: number): number {
  if (!/^\d+$/.test(text) || Number(text) < minimum) throw new UsageError(`${flag}: "${text}" is not a whole number of at least ${minimum}`);
  return Number(text);
}

/** The Prometheus flags every observing command shares; credentials come from the environment only. */
export interface PrometheusFlags {
  timeout: string;
  retries: string;
  caFile?: string;
  insecureSkipTlsVerify?: boolean;
}

export function prometheusSource(url: string, flags: PrometheusFlags): PrometheusSourceOptions {
  return {
    url,
    ...credentialsFromEnv(process.env),
    timeoutSeconds: parseDurationOption(flags.timeout, "--timeout"),
    retries: parseCountOption(flags.retries, "--retries", 0),
    tls: { insecureSkipVerify: flags.insecureSkipTlsVerify === true, ...(flags.caFile ? { caFile: flags.caFile } : {}) },
  };
}

/** Observation problems, each also printed as a progress line; `nothingObserved` when none of the workloads could be read. */
export function problemCollector(progress: (message: string) => void) {
  const problems: ObservationProblem[] = [];
  return {
    problems,
    onProblem: (problem: ObservationProblem) => {
      problems.push(problem);
      progress(`${problem.cluster}/${problem.namespace ?? "*"}: ${problem.message}`);
    },
    /** Throws when nothing was observed and problems say why. */
    requireObserved: (observed: number) => {
      if (observed === 0 && problems.length > 0) throw new ExternalError(`nothing could be observed:\n  ${problems.map((problem) => problem.message).join("\n  ")}`);
    },
  };
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
  for (const warning of loaded.warnings) printNotice(`${formatPolicyProblem(warning)}`);
  return loaded;
}
