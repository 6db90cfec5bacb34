import type { Context } from "probot";
import { DASHBOARD_MARKER, runForGitHubRepository, syncDashboard, tickedRows, type WorkloadSelection } from "../../pipeline/index.js";
import { clientOf, installationToken, operatorObserver, recordRun, repositoryOf, stageRecorder, type AppDependencies } from "../runtime.js";

/**
 * `issues.edited` on the dashboard issue (SPEC §8): a ticked box asks for a fresh proposal of
 * its workload (or of every workload); the dashboard written after it has every box unticked.
 */
export async function onDashboardEdited(context: Context<"issues.edited">, deps: AppDependencies): Promise<void> {
  const { issue, changes, sender } = context.payload;
  if (sender.type === "Bot" || !issue.body?.includes(DASHBOARD_MARKER)) return;
  const before = new Set(tickedRows(changes.body?.from ?? ""));
  const ticked = tickedRows(issue.body).filter((key) => !before.has(key) && key !== "…");
  if (ticked.length === 0) return;
  const octokit = clientOf(context);
  const repository = repositoryOf(context.payload);
  await deps.locks.run(`${repository.owner}/${repository.repo}`, async () => {
    const onStage = stageRecorder(deps);
    for (const selection of selectionsOf(ticked)) {
      const run = await runForGitHubRepository({ octokit, repository, token: await installationToken(context), observe: operatorObserver(deps), selection, force: true, ...(onStage ? { onStage } : {}) });
      recordRun(deps, run);
      await syncDashboard(octokit, repository, run);
    }
  });
}

/** One selection per cluster (a run selects in one cluster at a time); `*` selects everything. */
function selectionsOf(keys: readonly string[]): WorkloadSelection[] {
  if (keys.includes("*")) return [{ targets: [] }];
  const byCluster = new Map<string, WorkloadSelection>();
  for (const key of keys) {
    const [cluster, namespace, kind, name] = key.split("/");
    if (!cluster || !namespace || !kind || !name) continue;
    const selection = byCluster.get(cluster) ?? { cluster, targets: [] };
    selection.targets.push({ namespace, kind, name });
    byCluster.set(cluster, selection);
  }
  return [...byCluster.values()];
}
