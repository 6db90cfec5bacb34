import type { Octokit } from "@octokit/rest";
import { ExternalError } from "../domain/index.js";
import type { Policy } from "../policy/index.js";
import { isWithinDeclined, type ProposalStatus } from "./propose.js";
import type { RenderedPullRequest } from "./pull-request.js";
import { parseStateMarker, type ProposalState } from "./state-marker.js";
import type { GitWorkspace, RemoteAuth } from "./workspace.js";

export interface GitHubRepository {
  owner: string;
  repo: string;
}

interface OpenPullRequest {
  number: number;
  url: string;
  branch: string;
  title: string;
  body: string;
}

export interface GateOutcome {
  status: Extract<ProposalStatus, "foreign" | "declined" | "rate-limited">;
  reason: string;
  pullRequestUrl?: string;
}

const FOREIGN_COMMENT_MARKER = "<!-- rightsize:foreign-push -->";

/**
 * Publishes proposal branches to GitHub: pushes with git, then opens or updates the pull
 * request through the REST API. GitHub is the only state store (SPEC §8): the branch name finds
 * the PR, its hidden state marker says what was proposed.
 */
export class GitHubPublisher {
  private openPullRequests: OpenPullRequest[] | undefined;
  private readonly remoteTips = new Map<string, string | undefined>();

  constructor(
    private readonly octokit: Octokit,
    private readonly repository: GitHubRepository,
    private readonly workspace: GitWorkspace,
    private readonly remote: string,
    private readonly baseCommit: string,
    private readonly auth?: RemoteAuth,
  ) {}

  /** Decides whether a proposal may be published at all; undefined means go ahead. */
  async gate(branch: string, state: ProposalState, policy: Policy): Promise<GateOutcome | undefined> {
    const open = await this.listOpen();
    const existing = open.find((pull) => pull.branch === branch);
    const remoteTip = await this.remoteTip(branch);
    if (remoteTip) {
      const foreign = await this.workspace.foreignCommitReason(remoteTip, this.baseCommit);
      if (foreign) {
        if (existing) await this.commentOnce(existing.number, `rightsize did not update this branch: ${foreign}. It will leave the branch alone from now on; close this pull request to let rightsize propose again.`);
        return { status: "foreign", reason: foreign, ...(existing ? { pullRequestUrl: existing.url } : {}) };
      }
    }
    if (existing) return undefined;
    const declined = await this.lastDeclined(branch);
    if (declined && isWithinDeclined(declined.state, state, policy.recommend.minChangePercent)) {
      return {
        status: "declined",
        reason: `pull request #${declined.number} with nearly the same values was closed without merging; values within ${policy.recommend.minChangePercent}% of it are not proposed again`,
        pullRequestUrl: declined.url,
      };
    }
    const ours = open.filter((pull) => pull.branch.startsWith("rightsize/")).length;
    if (ours >= policy.rateLimits.maxOpenPullRequests) {
      return { status: "rate-limited", reason: `${ours} rightsize pull requests are open (rateLimits.maxOpenPullRequests: ${policy.rateLimits.maxOpenPullRequests}); merge or close some first` };
    }
    return undefined;
  }

  async publish(proposal: { branch: string; base: string; commit: string; rendered: RenderedPullRequest; policy: Policy }): Promise<{ pullRequestUrl: string; status?: ProposalStatus }> {
    const { branch, rendered, policy } = proposal;
    const remoteTip = await this.remoteTip(branch);
    if (remoteTip !== proposal.commit) {
      await this.workspace.pushBranch(this.remote, proposal.commit, branch, remoteTip, this.auth);
      this.remoteTips.set(branch, proposal.commit);
    }
    const existing = (await this.listOpen()).find((pull) => pull.branch === branch);
    const { owner, repo } = this.repository;
    if (existing) {
      if (existing.title !== rendered.title || existing.body !== rendered.body) {
        await this.call("update the pull request", () => this.octokit.rest.pulls.update({ owner, repo, pull_number: existing.number, title: rendered.title, body: rendered.body }));
      }
      await this.call("label the pull request", () => this.octokit.rest.issues.addLabels({ owner, repo, issue_number: existing.number, labels: rendered.labels }));
      return { pullRequestUrl: existing.url, ...(remoteTip === proposal.commit && existing.body === rendered.body ? { status: "unchanged" as const } : { status: "updated" as const }) };
    }
    const created = await this.call("open the pull request", () =>
      this.octokit.rest.pulls.create({ owner, repo, head: branch, base: proposal.base, title: rendered.title, body: rendered.body, draft: policy.pullRequests.draft }),
    );
    const number = created.data.number;
    await this.call("label the pull request", () => this.octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels: rendered.labels }));
    if (policy.pullRequests.reviewers.length > 0) {
      await this.call("request reviewers", () => this.octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: number, reviewers: policy.pullRequests.reviewers }));
    }
    this.openPullRequests?.push({ number, url: created.data.html_url, branch, title: rendered.title, body: rendered.body });
    return { pullRequestUrl: created.data.html_url, status: "created" };
  }

  private async listOpen(): Promise<OpenPullRequest[]> {
    if (!this.openPullRequests) {
      const { owner, repo } = this.repository;
      const pulls = await this.call("list open pull requests", () =>
        this.octokit.paginate(this.octokit.rest.pulls.list, { owner, repo, state: "open", per_page: 100 }),
      );
      this.openPullRequests = pulls
        .filter((pull) => pull.head.repo?.full_name === `${owner}/${repo}`)
        .map((pull) => ({ number: pull.number, url: pull.html_url, branch: pull.head.ref, title: pull.title, body: pull.body ?? "" }));
    }
    return this.openPullRequests;
  }

  private async lastDeclined(branch: string): Promise<{ number: number; url: string; state: ProposalState } | undefined> {
    const { owner, repo } = this.repository;
    const closed = await this.call("list closed pull requests", () =>
      this.octokit.rest.pulls.list({ owner, repo, state: "closed", head: `${owner}:${branch}`, sort: "updated", direction: "desc", per_page: 10 }),
    );
    const declined = closed.data.find((pull) => pull.merged_at === null);
    const state = declined ? parseStateMarker(declined.body) : undefined;
    return declined && state ? { number: declined.number, url: declined.html_url, state } : undefined;
  }

  private async remoteTip(branch: string): Promise<string | undefined> {
    if (!this.remoteTips.has(branch)) this.remoteTips.set(branch, await this.workspace.fetchRemoteBranch(this.remote, branch, this.auth));
    return this.remoteTips.get(branch);
  }

  private async commentOnce(issueNumber: number, text: string): Promise<void> {
    const { owner, repo } = this.repository;
    const comments = await this.call("read comments", () =>
      this.octokit.paginate(this.octokit.rest.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100 }),
    );
    if (comments.some((comment) => comment.body?.includes(FOREIGN_COMMENT_MARKER))) return;
    await this.call("comment", () => this.octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body: `${text}\n\n${FOREIGN_COMMENT_MARKER}` }));
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new ExternalError(`GitHub: could not ${what} in ${this.repository.owner}/${this.repository.repo}${status ? ` (HTTP ${status})` : ""}: ${(error as Error).message}`);
    }
  }
}

/** owner/repo from a GitHub remote URL (https or ssh, github.com or Enterprise Server). */
export function repositoryFromRemoteUrl(url: string): GitHubRepository | undefined {
  const match = /^(?:https?:\/\/[^/]+\/|git@[^:]+:|ssh:\/\/git@[^/]+\/)([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return match ? { owner: match[1]!, repo: match[2]! } : undefined;
}
