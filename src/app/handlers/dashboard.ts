import type { Context } from "probot";
import { callGitHub, MARKERS, runForGitHubRepository, selectionsOfKeys, tickedRows, untickAll, writtenByRightsize, type WorkloadSelection } from "../../pipeline/index.js";
import { clientOf, installationToken, maySteer, operatorObserver, organizationOf, recordRun, repositoryOf, stageRecorder, type AppDependencies } from "../runtime.js";

/**
 * `issues.edited` on the dashboard issue (SPEC §8): a ticked box asks for a fresh proposal of
 * its workload (or of every workload); afterwards every box is unticked. The rows themselves are
 * rewritten by the next scan: a run for a selection observes only part of the repository, so the
 * dashboard is not rebuilt from it. Only rightsize's own dashboard counts, and a tick obeys the
 * rule of commands: write, maintain or admin (SPEC §9).
 */
export async function onDashboardEdited(context: Context<"issues.edited">, deps: AppDependencies): Promise<void> {
  const { issue, changes, sender } = context.payload;
  if (sender.type === "Bot" || !issue.body?.includes(MARKERS.dashboard)) return;
  const before = new Set(tickedRows(changes.body?.from ?? ""));
  const ticked = tickedRows(issue.body).filter((key) => !before.has(key) && key !== "…");
  if (ticked.length === 0) return;
  const octokit = clientOf(context);
  const repository = await repositoryOf(context.payload, deps);
  if (!writtenByRightsize(repository, issue.user)) return;
  if (!(await maySteer(deps, octokit, repository, sender.login))) return;
  const { controls, mayOpen } = organizationOf(deps, octokit, repository, context.payload.installation?.id);
  // Paused for the organisation (SPEC §10): a tick proposes nothing; the box stays ticked until the pause is lifted and it is ticked again.
  if ((await controls()).paused) return;
  await deps.locks.run(`${repository.owner}/${repository.repo}`, async () => {
    const onStage = stageRecorder(deps);
    for (const selection of selectionsOf(ticked)) {
      // A ticked row is an explicit request for its workload: it overrides a declined proposal (SPEC §8); the "all" box does not.
      const overrideDeclines = selection.targets.length > 0;
      const run = await runForGitHubRepository({ octokit, repository, token: await installationToken(context), observe: operatorObserver(deps), selection, force: true, overrideDeclines, ...(onStage ? { onStage } : {}), ...(mayOpen ? { mayOpen } : {}) });
      recordRun(deps, run);
    }
    const body = untickAll(issue.body!);
    if (body !== issue.body) {
      await callGitHub(repository, "untick the dashboard", () => octokit.rest.issues.update({ owner: repository.owner, repo: repository.repo, issue_number: issue.number, body }));
    }
  });
}

/** One selection per cluster; `*` selects everything. */
function selectionsOf(keys: readonly string[]): WorkloadSelection[] {
  return keys.includes("*") ? [{ targets: [] }] : selectionsOfKeys(keys);
}
