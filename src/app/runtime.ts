import type { Context } from "probot";
import { InputError, RightsizeError } from "../domain/index.js";
import {
  observeOperatorClusters,
  type GitHubClient,
  type GitHubRepositoryInfo,
  type ObservationScope,
  type ObservedInputs,
  type OperatorClusters,
  type PipelineStage,
  type RepositoryRun,
} from "../pipeline/index.js";
import type { WorkQueue } from "./queue.js";
import type { Telemetry } from "./telemetry.js";
import type { LoadedPolicy } from "../policy/index.js";
import { redactSourceEndpoints, sourceFor } from "../observe/index.js";

/** What the handlers share, built once by the entry (src/app/main.ts) or by a test. */
export interface AppDependencies {
  /** The operator's clusters (RIGHTSIZE_CLUSTERS_FILE); undefined: nothing can be observed. */
  clusters: OperatorClusters | undefined;
  now(): Date;
  locks: RepositoryLocks;
  /** A repository's policy may have changed: its schedule is read again. */
  onRepositorySeen?(installationId: number, repository: GitHubRepositoryInfo): void;
  /** The app was installed, or given more repositories: they are scheduled. */
  onInstallation?(installationId: number): Promise<void>;
  /** The app was uninstalled, or repositories were taken from it (`owner/name`): their schedules go. */
  onRepositoriesRemoved?(repositories: readonly string[]): Promise<void>;
  /** The bot's own metrics (/metrics); absent in tests that do not look at them. */
  telemetry?: Telemetry;
  /** Set: handlers only enqueue and workers do the work (SPEC §10 "Scale"); unset: handled in the delivery. */
  queue?: WorkQueue;
}

/** Counts what a run proposed, by outcome, and times its stages. */
export function recordRun(deps: AppDependencies, run: RepositoryRun): void {
  for (const result of run.results) deps.telemetry?.proposals.inc({ outcome: result.status });
}

export function stageRecorder(deps: AppDependencies): ((stage: PipelineStage, seconds: number) => void) | undefined {
  const telemetry = deps.telemetry;
  return telemetry ? (stage, seconds) => telemetry.stageSeconds.observe({ stage }, seconds) : undefined;
}

/** An error's kind for the errors metric: its stable code, or UNEXPECTED. */
export function errorKind(error: unknown): string {
  return error instanceof RightsizeError ? error.code : "UNEXPECTED";
}

/**
 * One repository's work never runs twice at once in this process (a second delivery waits for
 * the first and then finds its result on GitHub). Entries leave the map when their chain is
 * done, so it holds only repositories being worked on.
 */
export class RepositoryLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

type RepositoryPayload = {
  name: string;
  owner: { login: string };
  default_branch: string;
  clone_url: string;
};

/** The repository of an event, with the URLs GitHub gave (GHES: never a hard-coded github.com). */
export function repositoryOf(payload: { repository: RepositoryPayload }): GitHubRepositoryInfo {
  const { repository } = payload;
  return { owner: repository.owner.login, repo: repository.name, defaultBranch: repository.default_branch, cloneUrl: repository.clone_url };
}

/** The installation token git fetches with; it lives in memory only. */
export async function installationToken(context: Pick<Context, "octokit">): Promise<string> {
  const auth = (await context.octokit.auth({ type: "installation" })) as { token: string };
  return auth.token;
}

/** Logs an unexpected failure with the delivery it belongs to (Probot's logger carries the event's id). */
export function logErrorOf(context: Pick<Context, "log">): (error: unknown, command: string) => void {
  return (error, command) => context.log.error({ err: error, command }, "a command failed unexpectedly");
}

export function clientOf(context: Pick<Context, "octokit">): GitHubClient {
  return context.octokit as unknown as GitHubClient;
}

/** Observation through the operator's clusters only (SPEC §10). */
export function operatorObserver(deps: AppDependencies): (loaded: LoadedPolicy, scope: ObservationScope) => Promise<ObservedInputs> {
  return async (loaded, scope) => observeOperatorClusters(requireClusters(deps), loaded, scope, { at: deps.now().toISOString() });
}

/** The operator's clusters, or the reply saying that none are configured yet. */
export function requireClusters(deps: AppDependencies): OperatorClusters {
  if (!deps.clusters) {
    throw new InputError("this rightsize installation observes no cluster yet; its operator sets RIGHTSIZE_CLUSTERS_FILE (see the README, \"Install the GitHub App\")");
  }
  return deps.clusters;
}

/**
 * Messages about the operator's endpoints go to repositories without the endpoints: each source's
 * address (a Prometheus URL, its host, a kubeconfig or snapshot file) becomes its name, such as
 * "the Prometheus of cluster X".
 */
export function redactEndpoints(deps: AppDependencies): (text: string) => string {
  return redactSourceEndpoints((deps.clusters?.clusters ?? []).map((cluster) => sourceFor(cluster, { inCluster: true })));
}
