import { DECISION_TRAILER, type GitWorkspace } from "../checkout/workspace.js";
import { callGitHub, httpStatusOf, type GitHubClient, type GitHubRepository, type RepositoryName } from "../github/client.js";
import { ProposalPullRequests } from "./pull-requests.js";
import type { BranchState, Proposal, ProposalPublisher, PublishOutcome } from "./types.js";

interface BranchTip {
  commit: string;
  tree: string;
  parent: string | undefined;
  foreign?: string;
}

/**
 * The app (and `rightsize scan`): one tree, one commit and one ref update through the Git Data
 * API, with no custom author, so GitHub signs the commit and branch protection that requires
 * verified commits is satisfied (SPEC §8). The local shallow clone only computes the tree id,
 * which tells an unchanged proposal without a call.
 */
export class GitDataPublisher implements ProposalPublisher {
  private readonly pullRequests: ProposalPullRequests;
  /** Only owner and repo go into requests (octokit sends unknown parameters in the body). */
  private readonly where: RepositoryName;

  constructor(
    private readonly octokit: GitHubClient,
    private readonly repository: GitHubRepository,
    private readonly workspace: GitWorkspace,
    private readonly baseCommit: string,
  ) {
    this.pullRequests = new ProposalPullRequests(octokit, repository);
    this.where = { owner: repository.owner, repo: repository.repo };
  }

  /**
   * The open pull request and the declined one, from two listings. Whether the branch tip is
   * still rightsize's is read only when something is about to be written (publish).
   */
  async inspect(branch: string): Promise<BranchState> {
    return this.pullRequests.branchState(branch);
  }

  async publish(proposal: Proposal, state: BranchState): Promise<PublishOutcome> {
    const { tree, modes } = await this.workspace.treeOf(proposal.base.commit, proposal.files);
    let tip = state.pullRequest ? await this.readTip(state.pullRequest.head) : undefined;
    if (tip?.foreign) return { status: "foreign", reason: tip.foreign };
    let commit = tip?.commit ?? "";
    const branchUnchanged = tip !== undefined && tip.tree === tree && tip.parent === proposal.base.commit;
    if (!branchUnchanged) {
      commit = await this.writeCommit(proposal, modes);
      const ref = `heads/${proposal.branch}`;
      if (!tip) {
        const created = await this.createRef(ref, commit);
        if (!created) {
          tip = await this.readTip((await this.getRef(ref)) ?? commit);
          if (tip.foreign) return { status: "foreign", reason: tip.foreign };
        }
      }
      if (tip) {
        // Someone may have pushed since the branch was inspected: never overwrite their commit.
        const current = await this.getRef(ref);
        if (current !== undefined && current !== tip.commit) {
          return { status: "foreign", reason: `the branch moved to ${current.slice(0, 12)} while rightsize was updating it: someone else pushed` };
        }
        await this.call("update the branch", () => this.octokit.rest.git.updateRef({ ...this.where, ref, sha: commit, force: true }));
      }
    }
    const pull = await this.pullRequests.upsert(proposal.branch, proposal.base.branch, proposal.rendered, proposal.policy, state.pullRequest);
    const status = !state.pullRequest ? "created" : branchUnchanged && !pull.changed ? "unchanged" : "updated";
    return { status, commit, pullRequestUrl: pull.url, pullRequestNumber: pull.number };
  }

  async reportForeign(state: BranchState, reason: string): Promise<void> {
    if (state.pullRequest) await this.pullRequests.reportForeign(state.pullRequest, reason);
  }

  private async writeCommit(proposal: Proposal, modes: Map<string, string>): Promise<string> {
    const baseTree = await this.workspace.resolveTree(proposal.base.commit);
    const tree = await this.call("create the tree", () =>
      this.octokit.rest.git.createTree({
        ...this.where,
        base_tree: baseTree,
        tree: proposal.files.map((file) => ({ path: file.path, mode: (modes.get(file.path) ?? "100644") as "100644", type: "blob" as const, content: file.content })),
      }),
    );
    const commit = await this.call("create the commit", () =>
      this.octokit.rest.git.createCommit({ ...this.where, message: proposal.message, tree: tree.data.sha, parents: [proposal.base.commit] }),
    );
    return commit.data.sha;
  }

  /** False when the branch exists already (a leftover of an earlier run or of a merged proposal). */
  private async createRef(ref: string, sha: string): Promise<boolean> {
    try {
      await this.octokit.rest.git.createRef({ ...this.where, ref: `refs/${ref}`, sha });
      return true;
    } catch (error) {
      if (httpStatusOf(error) === 422) return false;
      return this.call("create the branch", () => Promise.reject(error));
    }
  }

  private async getRef(ref: string): Promise<string | undefined> {
    try {
      return (await this.octokit.rest.git.getRef({ ...this.where, ref })).data.object.sha;
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      return this.call("read the branch", () => Promise.reject(error));
    }
  }

  /**
   * The branch tip and whether it is rightsize's: one commit with the decision trailer on top of
   * the default branch (SPEC §8: the bot never pushes to a branch someone else pushed to).
   */
  private async readTip(head: string): Promise<BranchTip> {
    const comparison = await this.call("compare the branch with the default branch", () =>
      this.octokit.rest.repos.compareCommitsWithBasehead({ ...this.where, basehead: `${this.baseCommit}...${head}`, per_page: 2 }),
    );
    const { ahead_by: ahead, commits } = comparison.data;
    const last = commits[commits.length - 1];
    const tip: BranchTip = { commit: head, tree: last?.commit.tree.sha ?? "", parent: last?.parents[0]?.sha };
    if (ahead > 1) tip.foreign = `the branch has ${ahead} commits on top of the default branch: someone else added commits`;
    else if (last && !last.commit.message.includes(`${DECISION_TRAILER}:`)) {
      tip.foreign = `the branch tip ${head.slice(0, 12)} is not a rightsize commit (no ${DECISION_TRAILER} trailer): someone else pushed to it`;
    }
    return tip;
  }

  private call<T>(what: string, request: () => Promise<T>): Promise<T> {
    return callGitHub(this.repository, what, request);
  }
}
