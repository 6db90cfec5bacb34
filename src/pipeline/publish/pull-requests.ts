import type { Policy } from "../../policy/index.js";
import { isProposalBranch } from "../propose/branches.js";
import { callGitHub, writtenByRightsize, type GitHubClient, type GitHubRepository } from "../github/client.js";
import { commentOnce } from "../lifecycle/comments.js";
import { renderTakenOverNotice } from "../lifecycle/notices.js";
import { MARKERS } from "../lifecycle/markers.js";
import type { RenderedPullRequest } from "../body/pull-request.js";
import { parseStateMarker, proposalStateOf } from "../lifecycle/state.js";
import type { BranchState, DeclinedProposal, OpenProposal } from "./types.js";

/**
 * The pull-request side of publishing, shared by the git-push and the Git Data API publishers.
 * One instance serves one run: the open pull requests are listed once and kept up to date.
 */
export class ProposalPullRequests {
  private openByBranch: Map<string, OpenProposal> | undefined;

  constructor(
    private readonly octokit: GitHubClient,
    private readonly repository: GitHubRepository,
  ) {}

  /** What GitHub knows of the branch: its open PR, else the latest closed one. */
  async branchState(branch: string): Promise<BranchState> {
    const open = await this.open();
    const openProposals = [...open].filter(([name, pull]) => pull.byRightsize && isProposalBranch(name)).length;
    const pullRequest = open.get(branch);
    if (pullRequest) {
      // A pull request someone else opened from a rightsize branch is theirs: never updated, its marker never read.
      if (!pullRequest.byRightsize) return { branch, pullRequest, openProposals, foreign: `pull request #${pullRequest.number} on this branch was opened by someone else` };
      const lastState = parseStateMarker(pullRequest.body);
      return { branch, pullRequest, openProposals, ...(lastState ? { lastState } : {}) };
    }
    const closed = await this.recentlyClosed(branch);
    const last = closed[0];
    const lastState = last ? proposalStateOf(this.repository, last) : undefined;
    const declines = closed.flatMap((pull): DeclinedProposal[] => {
      const state = pull.merged ? undefined : proposalStateOf(this.repository, pull);
      return state && !state.closedBy ? [{ number: pull.number, url: pull.url, state, ...(pull.closedAt ? { closedAt: pull.closedAt } : {}) }] : [];
    });
    return {
      branch,
      openProposals,
      ...(lastState ? { lastState } : {}),
      ...(declines.length > 0 ? { declines } : {}),
    };
  }

  /** Opens the branch's pull request, or updates the open one; labels and reviewers as the policy says. */
  async upsert(
    branch: string,
    base: string,
    rendered: RenderedPullRequest,
    policy: Policy,
    existing: OpenProposal | undefined,
  ): Promise<{ changed: boolean; url: string; number: number }> {
    const { owner, repo } = this.repository;
    if (existing) {
      const changed = existing.title !== rendered.title || existing.body !== rendered.body;
      if (changed) {
        await callGitHub(this.repository, "update the pull request", () =>
          this.octokit.rest.pulls.update({ owner, repo, pull_number: existing.number, title: rendered.title, body: rendered.body }),
        );
        await this.label(existing.number, rendered.labels);
        this.openByBranch?.set(branch, { ...existing, title: rendered.title, body: rendered.body });
      }
      return { changed, url: existing.url, number: existing.number };
    }
    const created = await callGitHub(this.repository, "open the pull request", () =>
      this.octokit.rest.pulls.create({ owner, repo, head: branch, base, title: rendered.title, body: rendered.body, draft: policy.pullRequests.draft }),
    );
    const { number, html_url: url } = created.data;
    await this.label(number, rendered.labels);
    if (policy.pullRequests.reviewers.length > 0) {
      await callGitHub(this.repository, "request reviewers", () =>
        this.octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: number, reviewers: policy.pullRequests.reviewers }),
      );
    }
    this.openByBranch?.set(branch, { number, url, title: rendered.title, body: rendered.body, head: created.data.head?.sha ?? "", byRightsize: true });
    return { changed: true, url, number };
  }

  /** Says once, on the branch's pull request, that someone else's commits are on it (SPEC §8). */
  async reportForeign(pullRequest: OpenProposal, reason: string): Promise<void> {
    await commentOnce(this.octokit, this.repository, pullRequest.number, MARKERS.foreignPush, renderTakenOverNotice(reason));
  }

  private async label(number: number, labels: string[]): Promise<void> {
    const { owner, repo } = this.repository;
    await callGitHub(this.repository, "label the pull request", () => this.octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels }));
  }

  private async open(): Promise<Map<string, OpenProposal>> {
    if (!this.openByBranch) {
      const { owner, repo } = this.repository;
      const pulls = await callGitHub(this.repository, "list open pull requests", () =>
        this.octokit.paginate(this.octokit.rest.pulls.list, { owner, repo, state: "open", per_page: 100 }),
      );
      this.openByBranch = new Map(
        pulls
          .filter((pull) => pull.head.repo?.full_name === `${owner}/${repo}`)
          .map((pull) => [pull.head.ref, { number: pull.number, url: pull.html_url, title: pull.title, body: pull.body ?? "", head: pull.head.sha, byRightsize: writtenByRightsize(this.repository, pull.user) }]),
      );
    }
    return this.openByBranch;
  }

  /** The branch's closed pull requests, most recently updated first (the last 30: a branch's history of months). */
  private async recentlyClosed(branch: string): Promise<{ number: number; url: string; body: string; merged: boolean; closedAt: string | null; user: { login: string; type: string } | null }[]> {
    const { owner, repo } = this.repository;
    const closed = await callGitHub(this.repository, "list closed pull requests", () =>
      this.octokit.rest.pulls.list({ owner, repo, state: "closed", head: `${owner}:${branch}`, sort: "updated", direction: "desc", per_page: 30 }),
    );
    return closed.data.map((pull) => ({ number: pull.number, url: pull.html_url, body: pull.body ?? "", merged: pull.merged_at !== null, closedAt: pull.closed_at, user: pull.user }));
  }
}
