import type { Probot } from "probot";
import { InputError } from "../domain/index.js";
import { readRawFile, readRepositoryPolicy, scanGitHubRepository, type GitHubClient, type GitHubRepositoryInfo } from "../pipeline/index.js";
import { DEFAULT_POLICY_PATH, defaultPolicy } from "../policy/index.js";
import { errorKind, operatorObserver, recordRun, stageRecorder, type AppDependencies } from "./runtime.js";
import { ScanScheduler } from "./scheduler.js";

type RepositoryListing = { name: string; owner: { login: string }; default_branch?: string; clone_url: string; archived?: boolean };

/**
 * Scheduled scans for every repository the app is installed on (SPEC §10): the scheduler reads
 * each policy's `schedule.cron` and runs the same scan as `rightsize scan`.
 */
export function scheduleScans(app: Probot, deps: AppDependencies): ScanScheduler {
  const installationClient = async (installationId: number) => (await app.auth(installationId)) as unknown as GitHubClient & { auth(options: { type: "installation" }): Promise<unknown> };
  const scheduler = new ScanScheduler({
    now: deps.now,
    readCron: async (installationId, repository) => {
      const octokit = await installationClient(installationId);
      try {
        return (await readRepositoryPolicy(octokit, repository, await readRawFile(octokit, { ...repository, path: DEFAULT_POLICY_PATH }))).policy.schedule.cron;
      } catch (error) {
        // An invalid policy still gets scanned on the default schedule: the scan opens its issue.
        if (error instanceof InputError) return defaultPolicy().schedule.cron;
        throw error;
      }
    },
    scan: async (installationId, repository) => {
      const octokit = await installationClient(installationId);
      const { token } = (await octokit.auth({ type: "installation" })) as { token: string };
      const onStage = stageRecorder(deps);
      const outcome = await deps.locks
        .run(`${repository.owner}/${repository.repo}`, () => scanGitHubRepository({ octokit, repository, token, observe: operatorObserver(deps), ...(onStage ? { onStage } : {}) }))
        .catch((error: unknown) => {
          deps.telemetry?.scans.inc({ outcome: "failed" });
          deps.telemetry?.errors.inc({ kind: errorKind(error) });
          throw error;
        });
      deps.telemetry?.scans.inc({ outcome: outcome.policyProblems ? "policy-invalid" : "ok" });
      if (outcome.run) recordRun(deps, outcome.run);
      app.log.info({ repository: `${repository.owner}/${repository.repo}`, results: outcome.run?.results.map((result) => `${result.branch}: ${result.status}`), policyProblems: outcome.policyProblems?.length }, "scheduled scan done");
    },
    onError: (repository, error) => app.log.error({ err: error, repository: `${repository.owner}/${repository.repo}` }, "scheduled scan failed"),
  });
  const trackInstallation = async (installationId: number) => {
    const octokit = await installationClient(installationId);
    const repositories = (await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 })) as unknown as RepositoryListing[];
    for (const repository of repositories.filter((candidate) => !candidate.archived)) {
      await scheduler.track(installationId, toInfo(repository)).catch((error: unknown) => app.log.error({ err: error }, "could not read a repository's schedule"));
    }
  };
  deps.onInstallation = trackInstallation;
  deps.onRepositorySeen = (installationId, repository) => {
    void scheduler.track(installationId, repository).catch((error: unknown) => app.log.error({ err: error }, "could not read a repository's schedule"));
  };
  void (async () => {
    const octokit = (await app.auth()) as unknown as GitHubClient;
    const installations = await octokit.paginate(octokit.rest.apps.listInstallations, { per_page: 100 });
    for (const installation of installations) await trackInstallation(installation.id);
    app.log.info(`rightsize scheduled ${scheduler.scheduled().length} repositories`);
  })().catch((error: unknown) => app.log.error({ err: error }, "could not list the installations to schedule"));
  scheduler.start();
  return scheduler;
}

function toInfo(repository: RepositoryListing): GitHubRepositoryInfo {
  return { owner: repository.owner.login, repo: repository.name, defaultBranch: repository.default_branch ?? "main", cloneUrl: repository.clone_url };
}
