import type { GitHubClient, GitHubRepository } from "../github/client.js";
import type { GitWorkspace, RemoteAuth } from "../checkout/workspace.js";
import { ProposalPullRequests } from "./pull-requests.js";
import type { BranchState, Proposal, ProposalPublisher, PublishOutcome } from "./types.js";

/**
 * CLI `--github-token`: the commit is made in the user's clone and pushed with git (leasing on
 * the remote tip that was inspected), then the pull request is opened or updated with REST.
 */
export class GitPushPublisher implements ProposalPublisher {
  private readonly pullRequests: ProposalPullRequests;
  private readonly remoteTips = new Map<string, string | undefined>();

  constructor(
    octokit: GitHubClient,
    repository: GitHubRepository,
    private readonly workspace: GitWorkspace,
    private readonly remote: string,
    private readonly baseCommit: string,
    private readonly auth?: RemoteAuth,
  ) {
    this.pullRequests = new ProposalPullRequests(octokit, repository);
  }

  async inspect(branch: string): Promise<BranchState> {
    const known = await this.pullRequests.branchState(branch);
    const tip = await this.workspace.fetchRemoteBranch(this.remote, branch, this.auth);
    this.remoteTips.set(branch, tip);
    const foreign = tip ? await this.workspace.foreignCommitReason(tip, this.baseCommit) : undefined;
    return { ...known, ...(foreign && !known.foreign ? { foreign } : {}) };
  }

  async publish(proposal: Proposal, state: BranchState): Promise<PublishOutcome> {
    const outcome = await this.workspace.writeProposal({ branch: proposal.branch, base: proposal.base.commit, files: proposal.files, message: proposal.message });
    if (outcome.status === "foreign") return { status: "foreign", reason: `the local branch ${proposal.branch} is not rightsize's: ${outcome.reason}` };
    const remoteTip = this.remoteTips.get(proposal.branch);
    if (remoteTip !== outcome.commit) await this.workspace.pushBranch(this.remote, outcome.commit, proposal.branch, remoteTip, this.auth);
    const pull = await this.pullRequests.upsert(proposal.branch, proposal.base.branch, proposal.rendered, proposal.policy, state.pullRequest);
    const status = !state.pullRequest ? "created" : remoteTip === outcome.commit && !pull.changed ? "unchanged" : "updated";
    return { status, commit: outcome.commit, pullRequestUrl: pull.url, pullRequestNumber: pull.number };
  }

  async reportForeign(state: BranchState, reason: string): Promise<void> {
    if (state.pullRequest) await this.pullRequests.reportForeign(state.pullRequest, reason);
  }
}
