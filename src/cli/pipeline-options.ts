import { stat } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { InputError, type ObservationSnapshot } from "../domain/index.js";
import type { PlanDiagnosis, WorkloadSelection } from "../pipeline/index.js";
import type { LoadedPolicy } from "../policy/index.js";
import { loadPolicyWithWarnings, parseAtOption, readSnapshotFile } from "./inputs.js";
import { printNotice, printProgress } from "./output.js";
import { policyForCluster, selectedNamespaces } from "./selection.js";

/** The inputs `plan` and `propose` share. */
export interface PipelineOptions {
  repo: string;
  policy?: string;
  snapshot?: string;
  at?: string;
}

export function addPipelineOptions(command: Command): Command {
  return command
    .option("--repo <dir>", "the config repo checkout", ".")
    .option("--policy <file>", "policy file (default: <repo>/.github/rightsize.yml when present, else the defaults)")
    .option("--snapshot <file>", "observation snapshot to replay, as rightsize snapshot writes it (default: observe live, as the policy's clusters and observe.source say)")
    .option("--at <time>", "evaluation time, ISO 8601 (default: the snapshot's createdAt, or now when observing live)");
}

export interface PipelineInputs {
  repoDir: string;
  loaded: LoadedPolicy;
  snapshot: ObservationSnapshot;
  at: string;
}

/** The checkout, its policy and the observations; live observation is narrowed to the selection's cluster and namespaces. */
export async function loadPipelineInputs(options: PipelineOptions, selection: WorkloadSelection): Promise<PipelineInputs> {
  const at = parseAtOption(options.at);
  const repoDir = await requireRepoDirectory(options.repo);
  const loaded = await loadPolicyWithWarnings(options.policy, repoDir);
  if (options.snapshot) {
    const snapshot = await readSnapshotFile(options.snapshot);
    return { repoDir, loaded, snapshot, at: at ?? snapshot.createdAt };
  }
  const now = at ?? new Date().toISOString();
  const observed = policyForCluster(loaded, selection.cluster);
  const namespaces = selectedNamespaces(selection);
  // Imported here: the Kubernetes client takes a second to load and replays never need it.
  const { observeForPolicy } = await import("../observe/index.js");
  const snapshot = await observeForPolicy(observed.policy, { at: now, ...(namespaces ? { namespaces } : {}), onProgress: printProgress });
  return { repoDir, loaded, snapshot, at: now };
}

/** `--repo`: a checkout that exists; named in the error as the user gave it. */
export async function requireRepoDirectory(repo: string): Promise<string> {
  const repoDir = path.resolve(repo);
  const info = await stat(repoDir).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    const reason = info.code === "ENOENT" ? "no such directory" : info.code === "EACCES" ? "permission denied" : info.message;
    throw new InputError(`--repo ${repo}: ${reason}; pass the directory of a checkout of your config repo`, { field: "--repo" });
  }
  if (!info.isDirectory()) throw new InputError(`--repo ${repo}: not a directory; pass the directory of a checkout of your config repo`, { field: "--repo" });
  return repoDir;
}

/** On stderr, with `plan` and `propose`: the snapshot's problems and, when nothing matched, why. */
export function printDiagnosis(diagnosis: PlanDiagnosis): void {
  for (const line of diagnosis.lines) printNotice(`${line}`);
}
