import { DEFAULT_POLICY_PATH, PolicyInvalidError, type LoadedPolicy, type PolicyProblem } from "../../policy/index.js";
import { canonicalJson } from "../../recommend/index.js";
import { syncDashboard } from "../dashboard/sync.js";
import { syncPolicyIssue } from "../policy/issue.js";
import { openRevert } from "../lifecycle/revert.js";
import type { WorkloadCheck } from "../lifecycle/verification.js";
import { mergedProposals, verifyMergedProposals, type MergedProposal, type VerificationOutcome } from "../lifecycle/verify-merged.js";
import { readRawFile, readRepositoryPolicy } from "../policy/github.js";
import { runForGitHubRepository, type GitHubRunInput } from "../propose/github.js";
import type { RepositoryRun } from "../propose/repository.js";
import { selectionsOfKeys } from "../plan/selection.js";
import { scanMarker } from "../lifecycle/markers.js";
import { scanFingerprint, unchangedSinceLastScan, type RescanCheck } from "./rescan.js";
import type { OpenPullRequest } from "../github/pulls.js";

export interface ScanOutcome {
  run?: RepositoryRun;
  /** Nothing changed since the last scan (its digest, in the dashboard): nothing was cloned or written. */
  unchanged?: true;
  /** The default branch's policy is invalid: proposals paused, the policy issue lists these. */
  policyProblems?: PolicyProblem[];
  policyIssue?: { number: number; status: string };
  /** The checks after merge this scan made (SPEC §8). */
  verification?: VerificationOutcome[];
  dashboard?: { number: number; status: string };
}

/**
 * A scheduled scan (the app's scheduler, `rightsize scan`): every workload proposed, merged
 * proposals checked, the dashboard issue brought up to date, and the "fix the policy file" issue
 * opened, updated or closed to match the policy (SPEC §7, §8). Safe to repeat: proposals are
 * idempotent, so two replicas scanning at once open no duplicates.
 */
export async function scanGitHubRepository(input: GitHubRunInput & { now: Date; policyText?: string }): Promise<ScanOutcome> {
  const { octokit, repository } = input;
  // One listing of the merged proposals serves the steps of this run and the checks after merge.
  let listing: Promise<MergedProposal[]> | undefined;
  const listed = () => (listing ??= input.merged?.() ?? mergedProposals(octokit, repository));
  // A rescan that costs almost nothing: four reads when the repository is as the last scan left it.
  // Whatever fails in the check (GitHub, the clusters) the full scan meets again, and reports.
  const check = input.dryRun || input.selection || input.policy ? undefined : await unchangedSinceLastScan(octokit, repository, input.observe, input.policyText).catch(() => undefined);
  if (check?.unchanged) return { unchanged: true };
  const observe = check?.observed ? observedOnce(check.observed, input.observe) : input.observe;
  let run: RepositoryRun;
  try {
    run = await runForGitHubRepository({ ...input, observe, merged: listed });
  } catch (error) {
    if (!(error instanceof PolicyInvalidError)) throw error;
    const issue = input.dryRun ? undefined : await syncPolicyIssue(octokit, repository, repository.defaultBranch, error.problems);
    return { policyProblems: error.problems, ...(issue ? { policyIssue: issue } : {}) };
  }
  if (input.dryRun) return { run };
  const issue = await syncPolicyIssue(octokit, repository, repository.defaultBranch, undefined);
  const merged = run.loaded.policy.mode === "disabled" ? [] : await listed();
  const verification =
    merged.length === 0
      ? []
      : await verifyMergedProposals({
          octokit,
          repository,
          merged,
          loaded: run.loaded,
          observe: input.observe,
          now: input.now,
          snapshot: run.snapshot,
          onWrong: (proposal, checks) => correctWrongVerdict(input, run.loaded, proposal, checks),
        });
  // Every recent verdict, this scan's and earlier ones (kept in the merged pull requests' markers).
  const verdicts = merged.flatMap((proposal) =>
    proposal.state.verification?.verdict ? proposal.state.workloads.map((workload) => ({ number: proposal.number, key: workload.key, verdict: proposal.state.verification!.verdict! })) : [],
  );
  // Saved so far: what merged proposals priced, unless the check after merge called them wrong.
  const mergedRecords = merged.filter((proposal) => proposal.state.verification?.verdict !== "wrong").flatMap((proposal) => proposal.records);
  const scan = (open: readonly OpenPullRequest[]) => {
    const { digest } = scanFingerprint({ tip: run.base.commit, loaded: run.loaded, snapshot: run.observed ?? run.snapshot, open, repository });
    return scanMarker({ tip: run.base.commit, digest, stepsPending: run.stepsPending === true });
  };
  const dashboard = await syncDashboard(octokit, repository, run, { verdicts, mergedRecords, scan });
  return { run, verification, ...(issue ? { policyIssue: issue } : {}), ...(dashboard ? { dashboard } : {}) };
}

/** The observation the rescan check made, for the full scan's first (whole-window) request; the rest go to the clusters. */
function observedOnce(observed: NonNullable<Extract<RescanCheck, { unchanged: false }>["observed"]>, observe: GitHubRunInput["observe"]): GitHubRunInput["observe"] {
  let used = false;
  return async (loaded, scope) => {
    const same = !used && Object.keys(scope).length === 0 && loaded.policy.observe.window.seconds === observed.loaded.policy.observe.window.seconds && sameTargets(loaded, observed.loaded);
    used ||= same;
    return same ? observed.result : observe(loaded, scope);
  };
}

function sameTargets(a: LoadedPolicy, b: LoadedPolicy): boolean {
  return canonicalJson(a.policy.targets) === canonicalJson(b.policy.targets);
}

/**
 * The daily check after merge of one repository (SPEC §8), between scans: cheap when nothing
 * waits (one listing), observing only when a merged proposal needs it.
 */
export async function verifyGitHubRepository(input: GitHubRunInput & { now: Date }): Promise<VerificationOutcome[]> {
  const { octokit, repository } = input;
  const merged = await mergedProposals(octokit, repository);
  if (!merged.some((proposal) => !proposal.state.verification?.checkedAt)) return [];
  const loaded = await readRepositoryPolicy(octokit, repository, await readRawFile(octokit, { ...repository, path: DEFAULT_POLICY_PATH }));
  if (loaded.policy.mode === "disabled") return [];
  return verifyMergedProposals({ octokit, repository, loaded, observe: input.observe, now: input.now, merged, onWrong: (proposal, checks) => correctWrongVerdict(input, loaded, proposal, checks) });
}

/**
 * A wrong verdict (SPEC §8): with OOM kills the previous values come back in a revert pull
 * request; without (CPU too tight) the next proposal of those workloads follows at once.
 */
async function correctWrongVerdict(input: GitHubRunInput, loaded: LoadedPolicy, proposal: MergedProposal, checks: WorkloadCheck[]): Promise<string> {
  const oomKilled = checks.some((check) => check.containers.some((container) => container.oomKills > 0));
  if (oomKilled) {
    const revert = await openRevert({ octokit: input.octokit, repository: input.repository, token: input.token, loaded, merged: { number: proposal.number, records: proposal.records }, checks });
    return revert.status === "refused"
      ? `rightsize could not open a revert: ${revert.reason}. Restore the previous values by hand (the decision record lists them).`
      : revert.status === "unchanged"
        ? `#${revert.number} already restores the previous values.`
        : `rightsize ${revert.status} #${revert.number} to restore the previous values.`;
  }
  const [selection] = selectionsOfKeys(proposal.state.workloads.map((workload) => workload.key));
  const run = await runForGitHubRepository({ ...input, selection: selection ?? { targets: [] }, force: true });
  const opened = run.results.find((result) => result.pullRequestNumber !== undefined);
  if (opened) return `rightsize proposed the next values in #${opened.pullRequestNumber}.`;
  const failed = run.results.find((result) => result.reason);
  if (failed) return `rightsize could not propose the next values: ${failed.status}: ${failed.reason}`;
  const reasons = run.selected.flatMap((workload) => workload.record.decision.reasons);
  return `rightsize has no larger value to propose yet (${reasons.join("; ") || "no observation"}); it checks again on the next scan.`;
}
