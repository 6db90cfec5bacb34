import { MARKERS } from "./markers.js";
import { workloadKey, type WorkloadObservation } from "../../domain/index.js";
import type { LoadedPolicy, Policy } from "../../policy/index.js";
import { DecisionRecordSchema, type DecisionRecord } from "../../recommend/index.js";
import { isProposalBranch } from "../propose/branches.js";
import { callGitHub, type GitHubClient, type GitHubRepository } from "../github/client.js";
import type { ObservationScope, ObservedInputs } from "../observation.js";
import { proposalStateOf, replaceStateMarker, type ProposalState } from "./state.js";
import { hasComment } from "../github/upsert.js";
import { selectionsOfKeys } from "../plan/selection.js";
import { renderNoRolloutComment, renderVerificationComment } from "./verification-comment.js";
import { decisionRecordsInBody, isRolledOut, verifyWorkload, worstVerdict, type WorkloadCheck } from "./verification.js";

/** A merged rightsize pull request whose check after merge is not done yet. */
export interface MergedProposal {
  number: number;
  body: string;
  state: ProposalState & { merged: { at: string; commit: string } };
  records: DecisionRecord[];
}

export interface VerificationOutcome {
  number: number;
  status: "waiting-for-rollout" | "rolled-out" | "waiting" | "verified" | "no-rollout";
  checks?: WorkloadCheck[];
}

export interface VerifyInput {
  octokit: GitHubClient;
  repository: GitHubRepository;
  loaded: LoadedPolicy;
  observe(loaded: LoadedPolicy, scope: ObservationScope): Promise<ObservedInputs>;
  now: Date;
  /** What a scan just observed: reused to see rollouts without observing again. */
  snapshot?: ObservedInputs["snapshot"];
  /** The merged proposals, when the caller listed them already (one listing per scan). */
  merged?: MergedProposal[];
  /** Called for a wrong verdict: a revert (OOM kills) or the next proposal (CPU too tight). */
  onWrong?(proposal: MergedProposal, checks: WorkloadCheck[]): Promise<string | undefined>;
}

/** A change that never shows up in the cluster is reported after this long, once. */
const NO_ROLLOUT_AFTER_DAYS = 7;
const DAY = 86_400_000;

/**
 * The check after merge (SPEC §8), idempotent: the merged pull request's state marker records
 * when the rollout was first seen and whether the verdict was given, so repeated runs never
 * comment twice. Observation for the verdict covers only the time since the rollout.
 */
export async function verifyMergedProposals(input: VerifyInput): Promise<VerificationOutcome[]> {
  const { policy } = input.loaded;
  if (policy.pullRequests.verifyAfter.seconds === 0) return [];
  const pending = (input.merged ?? (await mergedProposals(input.octokit, input.repository))).filter((proposal) => !proposal.state.verification?.checkedAt);
  if (pending.length === 0) return [];
  const outcomes: VerificationOutcome[] = [];
  const needsRollout = pending.some((proposal) => !proposal.state.verification?.rolledOutAt);
  const current = needsRollout ? (input.snapshot ?? (await input.observe(input.loaded, {})).snapshot) : undefined;
  for (const proposal of pending) {
    const observations = observationsOf(proposal, current?.workloads ?? []);
    const verification = proposal.state.verification ?? {};
    if (!verification.rolledOutAt) {
      if (observations.length === proposal.state.workloads.length && proposal.state.workloads.every((workload, index) => isRolledOut(workload.containers, observations[index]!))) {
        await updateState(input, proposal, { ...proposal.state, verification: { ...verification, rolledOutAt: input.now.toISOString() } });
        outcomes.push({ number: proposal.number, status: "rolled-out" });
      } else if (input.now.getTime() - Date.parse(proposal.state.merged.at) > NO_ROLLOUT_AFTER_DAYS * DAY && !verification.noRolloutReported) {
        await comment(input, proposal.number, MARKERS.noRollout, renderNoRolloutComment(proposal.state.merged.at, NO_ROLLOUT_AFTER_DAYS));
        await updateState(input, proposal, { ...proposal.state, verification: { ...verification, noRolloutReported: true } });
        outcomes.push({ number: proposal.number, status: "no-rollout" });
      } else {
        outcomes.push({ number: proposal.number, status: "waiting-for-rollout" });
      }
      continue;
    }
    const since = Date.parse(verification.rolledOutAt);
    if (input.now.getTime() - since < policy.pullRequests.verifyAfter.seconds * 1000) {
      outcomes.push({ number: proposal.number, status: "waiting" });
      continue;
    }
    const seconds = Math.round((input.now.getTime() - since) / 1000);
    const windowed = await input.observe(withWindow(input.loaded, seconds), scopeOf(proposal));
    const checks = proposal.state.workloads.flatMap((workload) => {
      const observation = windowed.snapshot.workloads.find((candidate) => workloadKey(candidate.workload) === workload.key);
      return observation ? [verifyWorkload(workload.key, workload.containers, observation, policy.recommend.cpu.percentile)] : [];
    });
    if (checks.length === 0) {
      outcomes.push({ number: proposal.number, status: "waiting" });
      continue;
    }
    const wrong = checks.some((check) => check.verdict === "wrong");
    const action = wrong && input.onWrong ? await input.onWrong(proposal, checks) : undefined;
    await comment(input, proposal.number, MARKERS.verification, renderVerificationComment(checks, proposal.records, verification.rolledOutAt, action));
    const verdict = worstVerdict(checks.map((check) => check.verdict));
    await updateState(input, proposal, { ...proposal.state, verification: { ...verification, checkedAt: input.now.toISOString(), verdict } });
    outcomes.push({ number: proposal.number, status: "verified", checks });
  }
  return outcomes;
}

/** The recently closed pull requests that merged a rightsize proposal (checked or not). */
export async function mergedProposals(octokit: GitHubClient, repository: GitHubRepository): Promise<MergedProposal[]> {
  const { owner, repo } = repository;
  const closed = await callGitHub(repository, "list closed pull requests", () =>
    octokit.rest.pulls.list({ owner, repo, state: "closed", sort: "updated", direction: "desc", per_page: 100 }),
  );
  return closed.data.flatMap((pull) => {
    const state = proposalStateOf(repository, pull);
    if (!state?.merged || !isProposalBranch(pull.head.ref) || state.workloads.length === 0) return [];
    const records = decisionRecordsInBody(pull.body ?? "", (value) => DecisionRecordSchema.parse(value)) ?? [];
    return [{ number: pull.number, body: pull.body ?? "", state: state as MergedProposal["state"], records }];
  });
}

function observationsOf(proposal: MergedProposal, observations: readonly WorkloadObservation[]): WorkloadObservation[] {
  return proposal.state.workloads.flatMap((workload) => observations.filter((observation) => workloadKey(observation.workload) === workload.key));
}

/** Only the proposal's own cluster and namespaces are observed for its verdict. */
function scopeOf(proposal: MergedProposal): ObservationScope {
  const [selection] = selectionsOfKeys(proposal.state.workloads.map((workload) => workload.key));
  return selection ? { cluster: selection.cluster, namespaces: [...new Set(selection.targets.map((target) => target.namespace!))] } : {};
}

function withWindow(loaded: LoadedPolicy, seconds: number): LoadedPolicy {
  const policy: Policy = { ...loaded.policy, observe: { ...loaded.policy.observe, window: { text: `${Math.round(seconds / 3600)}h`, seconds } } };
  return { ...loaded, policy };
}

async function updateState(input: VerifyInput, proposal: MergedProposal, state: ProposalState): Promise<void> {
  const { owner, repo } = input.repository;
  const body = replaceStateMarker(proposal.body, state);
  await callGitHub(input.repository, "record the check after merge", () => input.octokit.rest.pulls.update({ owner, repo, pull_number: proposal.number, body }));
  proposal.body = body;
  proposal.state = state as MergedProposal["state"];
}

/** Comments once: a run that failed after commenting (before its state was recorded) finds the marker and does not post again. */
async function comment(input: VerifyInput, number: number, marker: string, body: string): Promise<void> {
  const { owner, repo } = input.repository;
  if (await hasComment(input.octokit, input.repository, number, marker)) return;
  await callGitHub(input.repository, "comment on the merged pull request", () => input.octokit.rest.issues.createComment({ owner, repo, issue_number: number, body }));
}
