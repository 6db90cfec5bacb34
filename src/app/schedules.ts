import type { Probot } from "probot";
import { InputError } from "../domain/index.js";
import type { Octokit } from "@octokit/rest";
import { readRawFile, readRepositoryPolicy, scanOrOnboard, verifyGitHubRepository, withConditionalRequests, type GitHubClient, type GitHubRepositoryInfo } from "../pipeline/index.js";
import { DEFAULT_POLICY_PATH, defaultPolicy } from "../policy/index.js";
import { handleEventJob } from "./index.js";
import type { WorkJob, WorkQueue } from "./queue.js";
import { openingBudget, operatorClusterNames, operatorObserver, organizationControls, recordRun, stageRecorder, type AppDependencies } from "./runtime.js";
import { DEFAULT_SETTINGS } from "./settings.js";
import { spreadSchedule } from "./spread.js";

const VERIFY_CRON = "0 7 * * *";

type RepositoryListing = { name: string; owner: { login: string }; default_branch?: string; clone_url: string; archived?: boolean };
/** A repository a job works on; the app's account is added when the job runs. */
type RepositoryTarget = Omit<GitHubRepositoryInfo, "botLogin">;
type InstallationClient = GitHubClient & { auth(options: { type: "installation" }): Promise<unknown> };

/**
 * The workers and the schedules (SPEC §10): every queued delivery is handled here, and every
 * installed repository is scanned on its policy's `schedule.cron` through the queue's schedules
 * (BullMQ job schedulers with Redis, so N replicas run each cron once).
 */
export async function startWork(app: Probot, deps: AppDependencies, queue: WorkQueue): Promise<void> {
  // Conditional requests: a rescan of an unchanged repository is answered mostly 304, free of the rate limit.
  const client = async (installationId: number) => withConditionalRequests((await app.auth(installationId)) as unknown as InstallationClient & { hook: Octokit["hook"] });
  const track = async (installationId: number, repository: RepositoryTarget) => {
    const key = `${repository.owner}/${repository.repo}`;
    // Spread over the operator's window, the same minute on every replica (SPEC §10 "Organisations").
    const cron = spreadSchedule(await scheduleOf(await client(installationId), repository), key, (deps.settings ?? DEFAULT_SETTINGS).scheduleSpreadMinutes);
    const target: RepositoryTarget = { owner: repository.owner, repo: repository.repo, defaultBranch: repository.defaultBranch, cloneUrl: repository.cloneUrl };
    const job: WorkJob = { kind: "scan", id: `scan-${key}`, installationId, repository: key, target };
    await queue.schedule(`scan-${key}`, cron, job);
    // The check after merge runs daily, between scans: a rollout is seen within a day (SPEC §8).
    await queue.schedule(`verify-${key}`, VERIFY_CRON, { ...job, kind: "verify", id: `verify-${key}` });
  };
  const trackInstallation = async (installationId: number, onboard = false) => {
    const octokit = await client(installationId);
    const repositories = (await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 })) as unknown as RepositoryListing[];
    for (const repository of repositories.filter((candidate) => !candidate.archived)) {
      await track(installationId, toInfo(repository)).catch((error: unknown) => app.log.error({ err: error, repository: `${repository.owner.login}/${repository.name}` }, "could not read a repository's schedule"));
      if (!onboard) continue;
      // Installed (or given more repositories): those without a policy get their onboarding pull request now, not at their first scan.
      const key = `${repository.owner.login}/${repository.name}`;
      await queue.enqueue({ kind: "onboard", id: `onboard-${key}-${deps.now().getTime()}`, installationId, repository: key, target: toInfo(repository) });
    }
  };
  deps.onInstallation = (installationId) => trackInstallation(installationId, true);
  deps.onRepositoriesRemoved = (repositories) => unscheduleRepositories(queue, repositories);
  deps.onRepositorySeen = (installationId, repository) => {
    void track(installationId, repository).catch((error: unknown) => app.log.error({ err: error }, "could not read a repository's schedule"));
  };
  await queue.start(async (job) => {
    if (job.kind === "event") return handleEventJob(app, deps, job);
    const octokit = await client(job.installationId);
    const { token } = (await octokit.auth({ type: "installation" })) as { token: string };
    const repository: GitHubRepositoryInfo = { ...job.target!, botLogin: await deps.botLogin() };
    if (job.kind === "verify") {
      // A wrong verdict opens a revert pull request: nothing while the organisation is paused.
      if ((await organizationControls(deps, octokit, repository.owner)).paused) return;
      const outcomes = await verifyGitHubRepository({ octokit, repository, token, now: deps.now(), observe: operatorObserver(deps) });
      if (outcomes.length > 0) app.log.info({ repository: job.repository, outcomes: outcomes.map((outcome) => `#${outcome.number}: ${outcome.status}`) }, "checks after merge");
      return;
    }
    await scanJob(app, deps, octokit, token, repository, job);
  });
  void (async () => {
    const octokit = (await app.auth()) as unknown as GitHubClient;
    const installations = await octokit.paginate(octokit.rest.apps.listInstallations, { per_page: 100 });
    for (const installation of installations) await trackInstallation(installation.id);
    app.log.info(`rightsize scheduled the repositories of ${installations.length} installation(s)`);
  })().catch((error: unknown) => app.log.error({ err: error }, "could not list the installations to schedule"));
}

/** Removes the scan and the daily check of repositories the app no longer has. */
export async function unscheduleRepositories(queue: Pick<WorkQueue, "unschedule">, repositories: readonly string[]): Promise<void> {
  for (const key of repositories) {
    await queue.unschedule(`scan-${key}`);
    await queue.unschedule(`verify-${key}`);
  }
}

/** A repository's `schedule.cron`; an invalid policy still gets scanned on the default schedule (the scan opens its issue). */
async function scheduleOf(octokit: GitHubClient, repository: RepositoryTarget): Promise<string> {
  try {
    return (await readRepositoryPolicy(octokit, repository, await readRawFile(octokit, { ...repository, path: DEFAULT_POLICY_PATH }))).policy.schedule.cron;
  } catch (error) {
    if (error instanceof InputError) return defaultPolicy().schedule.cron;
    throw error;
  }
}

async function scanJob(app: Probot, deps: AppDependencies, octokit: GitHubClient, token: string, repository: GitHubRepositoryInfo, job: WorkJob): Promise<void> {
  const onStage = stageRecorder(deps);
  const mayOpen = openingBudget(deps, job.installationId);
  const name = `${repository.owner}/${repository.repo}`;
  const { scan: outcome, paused, onboarding } = await deps.locks
    .run(name, async () =>
      scanOrOnboard({
        octokit,
        repository,
        token,
        now: deps.now(),
        observe: operatorObserver(deps),
        controls: await organizationControls(deps, octokit, repository.owner),
        clusters: operatorClusterNames(deps),
        ...(job.kind === "onboard" ? { onboardOnly: true } : {}),
        ...(onStage ? { onStage } : {}),
        ...(mayOpen ? { mayOpen } : {}),
      }),
    )
    .catch((error: unknown) => {
      // The queue counts the error in rightsize_errors_total, as for every job that fails.
      deps.telemetry?.scans.inc({ outcome: "failed" });
      throw error;
    });
  if (paused || onboarding || !outcome) {
    deps.telemetry?.scans.inc({ outcome: paused ? "paused" : "onboarding" });
    if (paused) app.log.info({ repository: name, pausedBy: paused.by }, "scan skipped: rightsize is paused");
    if (onboarding) app.log.info({ repository: name, onboarding: onboarding.status }, "onboarding instead of a scan");
    return;
  }
  deps.telemetry?.scans.inc({ outcome: outcome.policyProblems ? "policy-invalid" : outcome.unchanged ? "unchanged" : "ok" });
  if (outcome.run) recordRun(deps, outcome.run);
  if (outcome.unchanged) {
    app.log.info({ repository: name }, "scan done: nothing changed since the last scan");
    return;
  }
  app.log.info({ repository: name, results: outcome.run?.results.map((result) => `${result.branch}: ${result.status}`), policyProblems: outcome.policyProblems?.length }, "scan done");
}

function toInfo(repository: RepositoryListing): RepositoryTarget {
  return { owner: repository.owner.login, repo: repository.name, defaultBranch: repository.default_branch ?? "main", cloneUrl: repository.clone_url };
}
