import type { Policy } from "../../policy/index.js";
import { callGitHub, type GitHubClient, type GitHubRepositoryInfo } from "../github/client.js";
import { isProposalBranch } from "../propose/branches.js";
import { branchOwnership, deleteOwnBranch } from "./branch.js";
import { commentOnce } from "./comments.js";
import { followUp, type FollowUpAction } from "./life.js";
import { MARKERS } from "./markers.js";
import { renderBranchKeptNotice, renderDeclinedNotice, renderTakenOverNotice } from "./notices.js";
import { proposalStateOf, replaceStateMarker, type ProposalState } from "./state.js";

/** A closed pull request as the event names it. */
export interface ClosedPullRequest {
  number: number;
  body: string | null;
  user: { login?: string | null; type?: string | null } | null;
  head: { ref: string; repo: { full_name: string } | null };
  merged: boolean;
  mergedAt: string | null;
  mergeCommit: string | null;
}

/** The repository and the client the follow-up works with. */
export type GitHubAccess = Pick<FollowUpInput, "octokit" | "repository">;

export interface FollowUpInput {
  octokit: GitHubClient;
  repository: GitHubRepositoryInfo;
  now: Date;
  /** The policy, for wording the decline (read only when it is said). */
  policy(): Promise<Policy>;
}

/**
 * `pull_request.closed` on a rightsize pull request (SPEC §8): the transition of life.ts for the
 * facts GitHub holds, carried out. Returns what was done; nothing for a pull request rightsize did
 * not open. Each action is idempotent, so a repeated delivery does no harm.
 */
export async function followClosedProposal(input: FollowUpInput, pull: ClosedPullRequest, closedBy: "person" | "rightsize"): Promise<FollowUpAction[]> {
  const { octokit, repository } = input;
  const state = proposalStateOf(repository, pull);
  if (!state || !isProposalBranch(pull.head.ref) || pull.head.repo?.full_name !== `${repository.owner}/${repository.repo}`) return [];
  const branch = pull.merged ? "gone" : await branchOwnership(octokit, repository, pull.head.ref);
  const actions = followUp(
    { open: false, merged: pull.merged, closedByRightsize: state.closedBy !== undefined, branch, rolledOut: false, verified: false },
    { kind: "closed", by: closedBy },
  );
  let deleted = false;
  for (const action of actions) {
    switch (action) {
      case "record-merge":
        if (!state.merged) await updateState(input, pull, state, { ...state, merged: { at: pull.mergedAt ?? input.now.toISOString(), commit: pull.mergeCommit ?? "" } });
        break;
      case "delete-branch":
        deleted = (await deleteOwnBranch(octokit, repository, pull.head.ref, branch)) !== "kept";
        break;
      case "say-branch-kept":
        // The branch is someone else's: closing it is not "not these values" (the marker says so for later runs).
        if (state.closedBy !== "taken-over") await updateState(input, pull, state, { ...state, closedBy: "taken-over" });
        await commentOnce(octokit, repository, pull.number, MARKERS.branchKept, renderBranchKeptNotice(pull.head.ref));
        break;
      case "say-declined":
        await commentOnce(octokit, repository, pull.number, MARKERS.declined, renderDeclinedNotice(state, await input.policy(), { name: pull.head.ref, deleted }));
        break;
      case "say-taken-over":
        break;
    }
  }
  return actions;
}

async function updateState(input: FollowUpInput, pull: ClosedPullRequest, before: ProposalState, state: ProposalState): Promise<void> {
  const { octokit, repository } = input;
  if (JSON.stringify(before) === JSON.stringify(state)) return;
  await callGitHub(repository, "record the proposal's state", () =>
    octokit.rest.pulls.update({ owner: repository.owner, repo: repository.repo, pull_number: pull.number, body: replaceStateMarker(pull.body ?? "", state) }),
  );
}

/**
 * A push to a rightsize branch by someone else (SPEC §8): the branch is theirs now; its open pull
 * request says so once, with what rightsize will and will not do.
 */
export async function followBranchPush(input: GitHubAccess, branch: string, reason: string): Promise<FollowUpAction[]> {
  const { octokit, repository } = input;
  const pulls = await callGitHub(repository, "find the branch's pull request", () =>
    octokit.rest.pulls.list({ owner: repository.owner, repo: repository.repo, state: "open", head: `${repository.owner}:${branch}`, per_page: 10 }),
  );
  const pull = pulls.data.find((candidate) => proposalStateOf(repository, candidate) !== undefined);
  if (!pull) return [];
  const actions = followUp({ open: true, merged: false, closedByRightsize: false, branch: "foreign", rolledOut: false, verified: false }, { kind: "pushed", by: "person" });
  if (actions.includes("say-taken-over")) await commentOnce(octokit, repository, pull.number, MARKERS.foreignPush, renderTakenOverNotice(reason));
  return actions;
}

/**
 * rightsize closes one of its own proposals (`/rightsize ignore` of everything, a refresh with
 * nothing left): the marker says why, so it is not taken as a decline, and the branch goes when
 * it holds rightsize's commits alone.
 */
export async function closeByRightsize(input: GitHubAccess, pull: { number: number; body: string; branch: string }, state: ProposalState): Promise<void> {
  const { octokit, repository } = input;
  await callGitHub(repository, "close the pull request", () =>
    octokit.rest.pulls.update({ owner: repository.owner, repo: repository.repo, pull_number: pull.number, state: "closed", body: replaceStateMarker(pull.body, state) }),
  );
  await deleteOwnBranch(octokit, repository, pull.branch);
}

/** Writes a proposal's state (the ignore list, a merge, a check) into its pull request's marker. */
export async function recordProposalState(input: GitHubAccess, pull: { number: number; body: string }, state: ProposalState): Promise<void> {
  const { octokit, repository } = input;
  await callGitHub(repository, "record the proposal's state", () =>
    octokit.rest.pulls.update({ owner: repository.owner, repo: repository.repo, pull_number: pull.number, body: replaceStateMarker(pull.body, state) }),
  );
}

const REFRESH_TICKED = /^- \[[xX]\] refresh this proposal/m;

/** Whether a body has the "refresh this proposal" box ticked (the body's own control, SPEC §8). */
export function refreshTicked(body: string | null | undefined): boolean {
  return REFRESH_TICKED.test(body ?? "");
}

/** Unticks the refresh box when the pull request still has it ticked (a refresh that failed left it so). */
export async function untickRefresh(input: GitHubAccess, number: number): Promise<void> {
  const { octokit, repository } = input;
  const where = { owner: repository.owner, repo: repository.repo, pull_number: number };
  const current = await callGitHub(repository, "read the pull request", () => octokit.rest.pulls.get(where));
  if (current.data.state !== "open" || !refreshTicked(current.data.body)) return;
  await callGitHub(repository, "untick the checkbox", () => octokit.rest.pulls.update({ ...where, body: (current.data.body ?? "").replace(REFRESH_TICKED, "- [ ] refresh this proposal") }));
}
