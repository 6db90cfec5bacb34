import { readFile } from "node:fs/promises";
import { ExternalError, InputError, IsoTimeSchema, parseObservationSnapshotText, UsageError, type ObservationSnapshot } from "../domain/index.js";
import { Option, type Command } from "commander";
import { prometheusConnection, type ObservationProblem, type PrometheusSourceOptions } from "../observe/index.js";
import { formatPolicyProblem, loadPolicyFile, parseDuration, PrometheusConnectionSchema, type LoadedPolicy } from "../policy/index.js";
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
  clusterLabel?: string;
  clusterLabelValue?: string;
  header?: string[];
  maxQueryLength?: string;
  partialResponse?: string;
  auth?: string;
  awsRegion?: string;
  azureClientId?: string;
}

const collectFlag = (value: string, previous: string[] = []) => [...previous, value];

/** The flags of a Prometheus-compatible store beyond its URL: one store for many clusters, tenant headers, managed stores. */
export function addStoreOptions(command: Command): Command {
  return command
    .option("--cluster-label <label>", "one store for many clusters: the label that names the cluster on every series (e.g. cluster)")
    .option("--cluster-label-value <value>", "with --cluster-label: this cluster's value (default: --cluster)")
    .option("--header <name=ENV>", "send a header whose value is in environment variable ENV (e.g. X-Scope-OrgID=MIMIR_TENANT); repeat for more", collectFlag)
    .option("--max-query-length <characters>", "longest query text the store accepts; batches are cut to fit", "16384")
    .addOption(new Option("--partial-response <mode>", "Thanos partial_response: deny fails a query when a store does not answer, allow takes the warning").choices(["allow", "deny"]))
    .addOption(new Option("--auth <provider>", "managed Prometheus: aws (SigV4), google (Application Default Credentials) or azure (workload/managed identity)").choices(["aws", "google", "azure"]))
    .option("--aws-region <region>", "with --auth aws: the workspace's region (default: AWS_REGION)")
    .option("--azure-client-id <id>", "with --auth azure: the user-assigned identity's client id");
}

export async function prometheusSource(url: string, flags: PrometheusFlags, cluster = "default"): Promise<PrometheusSourceOptions> {
  const headers: Record<string, { valueEnv: string }> = {};
  for (const header of flags.header ?? []) {
    const match = /^([^=]+)=(.+)$/.exec(header);
    if (!match) throw new UsageError(`--header: "${header}" is not NAME=ENV (the value is read from the environment variable ENV, never the command line)`);
    headers[match[1]!] = { valueEnv: match[2]! };
  }
  const region = flags.awsRegion ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (flags.auth === "aws" && !region) throw new UsageError("--auth aws needs the workspace's region: pass --aws-region or set AWS_REGION");
  const auth =
    flags.auth === "aws" ? { provider: "aws", region } : flags.auth === "google" ? { provider: "google" } : flags.auth === "azure" ? { provider: "azure", ...(flags.azureClientId ? { clientId: flags.azureClientId } : {}) } : undefined;
  const parsed = PrometheusConnectionSchema.safeParse({
    url,
    timeout: flags.timeout,
    retries: parseCountOption(flags.retries, "--retries", 0),
    tls: { insecureSkipVerify: flags.insecureSkipTlsVerify === true, ...(flags.caFile ? { caFile: flags.caFile } : {}) },
    headers,
    ...(flags.clusterLabel ? { clusterLabel: flags.clusterLabel } : {}),
    ...(flags.clusterLabelValue ? { clusterLabelValue: flags.clusterLabelValue } : {}),
    ...(flags.maxQueryLength ? { maxQueryLength: parseCountOption(flags.maxQueryLength, "--max-query-length", 1024) } : {}),
    ...(flags.partialResponse ? { partialResponse: flags.partialResponse } : {}),
    ...(auth ? { auth } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${STORE_FLAGS[String(issue.path[0])] ?? "--prometheus"}: ${issue.message}`);
  }
  return prometheusConnection(parsed.data, { cluster, env: process.env, field: "--prometheus" });
}

const STORE_FLAGS: Record<string, string> = {
  url: "--prometheus",
  timeout: "--timeout",
  clusterLabel: "--cluster-label",
  clusterLabelValue: "--cluster-label-value",
  headers: "--header",
  maxQueryLength: "--max-query-length",
  auth: "--auth",
};

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
    // The bytes, then one decode: readFile(file, "utf8") decodes each 512 KB chunk into a string
    // of its own and joins them, which costs more than reading (a 57 MB snapshot: ~0.45 s and a
    // rope to flatten, against ~0.3 s). Invalid UTF-8 becomes U+FFFD either way.
    return (await readFile(file)).toString("utf8");
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
