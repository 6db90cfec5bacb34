import type { Context, Probot } from "probot";
import { InputError } from "../domain/index.js";
import {
  callGitHub,
  observeOperatorClusters,
  readOrganizationControls,
  resolveControls,
  type OrganizationControls,
  type GitHubClient,
  type GitHubRepositoryInfo,
  type ObservationScope,
  type ObservedInputs,
  type OperatorClusters,
  type PipelineStage,
  type RepositoryRun,
} from "../pipeline/index.js";
import { HourlyCounts, RecentKeys, type RepositoryLocks } from "./locks.js";
import { DEFAULT_SETTINGS, operatorControls, type OperatorSettings } from "./settings.js";
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
  /** The app's own account (`<slug>[bot]`): markers count only in what it wrote (SPEC §9). */
  botLogin(): Promise<string>;
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
  /** Without a queue: what "at most once within" remembers, in this process. */
  recent?: RecentKeys;
  /**
   * Observation in place of the operator's clusters: a simulated cluster that follows the same
   * clock as `now` (the lifecycle simulation). Absent in production.
   */
  observe?(loaded: LoadedPolicy, scope: ObservationScope): Promise<ObservedInputs>;
  /** Commenters' permissions, asked once a minute at most per repository and person. */
  permissions?: PermissionCache;
  /** The operator's settings for every repository (src/app/settings.ts); absent: the defaults. */
  settings?: OperatorSettings;
  /**
   * Read each organisation's `.github` policy for its `organization` controls (pause, onboarding):
   * the server does (main.ts). Absent, only the operator's settings control; tests that answer
   * GitHub request by request leave it out, so they need not answer one more read.
   */
  readOrganizationPolicy?: boolean;
  /** Organisation controls, read at most once a minute per owner. */
  controls?: Map<string, { until: number; controls: Promise<OrganizationControls> }>;
  /** Without a queue: pull requests opened per installation and hour, in this process. */
  opened?: HourlyCounts;
}

/** What commands and runs in a repository need of its organisation: its controls, and the installation's budget of new pull requests. */
export function organizationOf(
  deps: AppDependencies,
  octokit: GitHubClient,
  repository: Pick<GitHubRepositoryInfo, "owner">,
  installationId: number | undefined,
): { controls(): Promise<OrganizationControls>; mayOpen?(): Promise<string | undefined> } {
  const mayOpen = openingBudget(deps, installationId ?? 0);
  return { controls: () => organizationControls(deps, octokit, repository.owner), ...(mayOpen ? { mayOpen } : {}) };
}

/** How long an organisation's controls are remembered: a pause takes effect within this time. */
export const CONTROLS_SECONDS = 60;

/**
 * The organisation controls of a repository's owner (SPEC §10 "Organisations"): the operator's
 * settings and the owner's `.github` policy, read at most once a minute per owner (a scan of a
 * thousand repositories reads it about once a minute, not a thousand times).
 */
export function organizationControls(deps: AppDependencies, octokit: GitHubClient, owner: string): Promise<OrganizationControls> {
  deps.controls ??= new Map();
  const now = deps.now().getTime();
  const cached = deps.controls.get(owner.toLowerCase());
  if (cached && cached.until > now) return cached.controls;
  const operator = operatorControls(deps.settings ?? DEFAULT_SETTINGS);
  const controls = deps.readOrganizationPolicy ? readOrganizationControls(octokit, owner, operator) : Promise.resolve(resolveControls(owner, operator, undefined, false));
  deps.controls.set(owner.toLowerCase(), { until: now + CONTROLS_SECONDS * 1000, controls });
  if (deps.controls.size > 10_000) deps.controls.delete(deps.controls.keys().next().value!);
  // A failed read is not remembered: the next event asks again.
  controls.catch(() => deps.controls?.get(owner.toLowerCase())?.controls === controls && deps.controls.delete(owner.toLowerCase()));
  return controls;
}

/**
 * The installation's budget of new pull requests per clock hour (RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR),
 * counted across replicas through the queue's Redis, else in this process. Each call takes one;
 * past the limit it answers why not and until when, and the proposal waits for the next scan.
 */
export function openingBudget(deps: AppDependencies, installationId: number): (() => Promise<string | undefined>) | undefined {
  const limit = (deps.settings ?? DEFAULT_SETTINGS).maxPullRequestsPerHour;
  if (limit <= 0) return undefined;
  return async () => {
    const now = deps.now();
    const hour = Math.floor(now.getTime() / 3_600_000);
    const key = `opened:${installationId}:${hour}`;
    const count = deps.queue ? await deps.queue.increment(key, 2 * 3_600_000) : (deps.opened ??= new HourlyCounts()).increment(key, 2 * 3_600_000, now.getTime());
    if (count <= limit) return undefined;
    const until = new Date((hour + 1) * 3_600_000).toISOString().slice(11, 16);
    return `this installation has opened its ${limit} new pull requests for this hour (the operator's RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR), so this one waits: the next scan opens it, or ask again after ${until} UTC`;
  };
}

/**
 * The first claim of `key` within `milliseconds` (a refusal per person, issue and hour): across
 * replicas through the queue's Redis, else in this process.
 */
export function claimOnce(deps: AppDependencies, key: string, milliseconds: number): Promise<boolean> {
  if (deps.queue) return deps.queue.claim(key, milliseconds);
  deps.recent ??= new RecentKeys();
  return Promise.resolve(deps.recent.claim(key, milliseconds));
}

/** SPEC §9: write, maintain and admin are obeyed (`role_name` tells maintain from write). */
const OBEYED = new Set(["admin", "maintain", "write"]);
const PERMISSION_SECONDS = 60;

/**
 * Whether a person may steer rightsize in a repository, asked of GitHub at most once a minute
 * per repository and person (a flood of comments from one reader costs one read), bounded.
 */
export class PermissionCache {
  private readonly answers = new Map<string, { until: number; answer: Promise<boolean> }>();

  constructor(private readonly limit = 10_000) {}

  maySteer(octokit: GitHubClient, repository: GitHubRepositoryInfo, username: string, now = Date.now()): Promise<boolean> {
    const key = `${repository.owner}/${repository.repo}/${username}`;
    const cached = this.answers.get(key);
    if (cached && cached.until > now) return cached.answer;
    const answer = callGitHub(repository, "read the commenter's permission", () =>
      octokit.rest.repos.getCollaboratorPermissionLevel({ owner: repository.owner, repo: repository.repo, username }),
    ).then(({ data }) => OBEYED.has(data.permission) || OBEYED.has(data.role_name));
    this.answers.delete(key);
    this.answers.set(key, { until: now + PERMISSION_SECONDS * 1000, answer });
    if (this.answers.size > this.limit) this.answers.delete(this.answers.keys().next().value!);
    // A failed read is not remembered: the next comment asks again.
    answer.catch(() => this.answers.get(key)?.answer === answer && this.answers.delete(key));
    return answer;
  }
}

/** Whether the person may run commands and tick the dashboard (SPEC §9). */
export function maySteer(deps: AppDependencies, octokit: GitHubClient, repository: GitHubRepositoryInfo, username: string): Promise<boolean> {
  deps.permissions ??= new PermissionCache();
  return deps.permissions.maySteer(octokit, repository, username);
}

/** Counts what a run proposed, by outcome, and times its stages. */
export function recordRun(deps: AppDependencies, run: RepositoryRun): void {
  for (const result of run.results) deps.telemetry?.proposals.inc({ outcome: result.status });
}

export function stageRecorder(deps: AppDependencies): ((stage: PipelineStage, seconds: number) => void) | undefined {
  const telemetry = deps.telemetry;
  return telemetry ? (stage, seconds) => telemetry.stageSeconds.observe({ stage }, seconds) : undefined;
}


type RepositoryPayload = {
  name: string;
  owner: { login: string };
  default_branch: string;
  clone_url: string;
};

/** The repository of an event, with the URLs GitHub gave (GHES: never a hard-coded github.com). */
export async function repositoryOf(payload: { repository: RepositoryPayload }, deps: Pick<AppDependencies, "botLogin">): Promise<GitHubRepositoryInfo> {
  const { repository } = payload;
  return { owner: repository.owner.login, repo: repository.name, defaultBranch: repository.default_branch, cloneUrl: repository.clone_url, botLogin: await deps.botLogin() };
}

/** The app's account, asked of GitHub once (`GET /app` with the app's JWT) and remembered. */
export function appBotLogin(app: Pick<Probot, "auth">): () => Promise<string> {
  let login: Promise<string> | undefined;
  return () =>
    (login ??= app
      .auth()
      .then((octokit) => octokit.request("GET /app"))
      .then((response) => `${(response.data as { slug: string }).slug}[bot]`)
      .catch((error: unknown) => {
        login = undefined;
        throw error;
      }));
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

/** The names of the clusters the operator's clusters file serves. */
export function operatorClusterNames(deps: AppDependencies): string[] {
  return (deps.clusters?.clusters ?? []).map((cluster) => cluster.name);
}

/** Observation through the operator's clusters only (SPEC §10). */
export function operatorObserver(deps: AppDependencies): (loaded: LoadedPolicy, scope: ObservationScope) => Promise<ObservedInputs> {
  return deps.observe ?? (async (loaded, scope) => observeOperatorClusters(requireClusters(deps), loaded, scope, { at: deps.now().toISOString() }));
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
