import type { Policy } from "../../policy/index.js";
import type { RenderedPullRequest } from "../body/pull-request.js";
import type { ProposalState } from "../lifecycle/state.js";
import type { FileContent } from "../checkout/workspace.js";

/** A pull request of the branch a person closed without merging, and what it proposed. */
export interface DeclinedProposal {
  number: number;
  url: string;
  state: ProposalState;
  closedAt?: string;
}

/** An open pull request of a proposal branch, as the publisher found it. */
export interface OpenProposal {
  number: number;
  url: string;
  title: string;
  body: string;
  /** The branch tip the pull request shows. */
  head: string;
  /** rightsize opened it: only then does its state marker count, and is it rightsize's to update. */
  byRightsize: boolean;
}

/** What exists for a proposal branch before anything is written (SPEC §8: GitHub is the state store). */
export interface BranchState {
  branch: string;
  pullRequest?: OpenProposal;
  /** Why the branch is not rightsize's to rewrite: someone else pushed to it. */
  foreign?: string;
  /**
   * The branch's declined pull requests (a person closed them without merging), newest first, even
   * with a merge since: "not these values" holds until usage drifts away from them or someone asks
   * by name (SPEC §8).
   */
  declines?: DeclinedProposal[];
  /** The state marker of the branch's latest pull request (open or closed): ignores live there. */
  lastState?: ProposalState;
  /** rightsize pull requests open in the repository (`rateLimits.maxOpenPullRequests`). */
  openProposals: number;
}

export interface Proposal {
  branch: string;
  /** The default branch and the commit the proposal starts from. */
  base: { branch: string; commit: string };
  files: FileContent[];
  message: string;
  rendered: RenderedPullRequest;
  policy: Policy;
}

export type PublishOutcome = PublishedProposal | { status: "foreign"; reason: string };

export interface PublishedProposal {
  status: "created" | "updated" | "unchanged";
  commit: string;
  pullRequestUrl?: string;
  pullRequestNumber?: number;
  /** Local publishing: where the PR body was written (relative to the repository). */
  bodyPath?: string;
}

/**
 * Where proposals go (SPEC §2): local branches and `.rightsize/out` (CLI `--local`), git push and
 * the REST API (CLI `--github-token`), or the Git Data API (the app, `rightsize scan`). The
 * pipeline never asks which one it has.
 */
export interface ProposalPublisher {
  /** Reads what exists for the branch; changes nothing. */
  inspect(branch: string): Promise<BranchState>;
  /** Writes the branch and opens or updates its pull request. */
  publish(proposal: Proposal, state: BranchState): Promise<PublishOutcome>;
  /** The branch is someone else's now: say so once where people look (its pull request). */
  reportForeign(state: BranchState, reason: string): Promise<void>;
}
