import { GitDataPublisher } from "../publish/git-data.js";
import type { GitHubClient, GitHubRepositoryInfo } from "../github/client.js";
import { gitHubPolicyReader } from "../policy/github.js";
import { proposeForRepository, type RepositoryPorts, type RepositoryRun } from "./repository.js";
import type { WorkloadSelection } from "../plan/selection.js";
import { GitWorkspace } from "../checkout/workspace.js";
import { stepsFromPullRequests } from "../lifecycle/steps.js";
import { mergedProposals, type MergedProposal } from "../lifecycle/verify-merged.js";

export interface GitHubRunInput {
  octokit: GitHubClient;
  repository: GitHubRepositoryInfo;
  /** The token git fetches with (an installation token or the CLI's); never written anywhere. */
  token: string;
  observe: RepositoryPorts["observe"];
  /** A policy to use instead of the repository's (`rightsize scan --policy FILE`). */
  policy?: RepositoryPorts["policy"];
  selection?: WorkloadSelection;
  /** Plan and report only: no branch, no pull request. */
  dryRun?: boolean;
  force?: boolean;
  /** An explicit request for the selected workloads: their declined proposals are proposed again. */
  overrideDeclines?: boolean;
  /** The merged proposals, listed once for a whole scan (its run and its checks after merge). */
  merged?: () => Promise<MergedProposal[]>;
  onStage?: RepositoryPorts["onStage"];
  mayOpen?: RepositoryPorts["mayOpen"];
}

/**
 * The app's (and `rightsize scan`'s) run on one repository: a shallow clone of the default
 * branch, its policy, observation through the operator's clusters, and proposals committed
 * through the Git Data API.
 */
export async function runForGitHubRepository(input: GitHubRunInput): Promise<RepositoryRun> {
  const { repository, octokit } = input;
  const clone = await GitWorkspace.shallowClone(repository.cloneUrl, repository.defaultBranch, { token: input.token });
  try {
    const checkout = { workspace: clone.workspace, base: { branch: repository.defaultBranch, commit: clone.commit } };
    return await proposeForRepository({
      checkout,
      policy: input.policy ?? gitHubPolicyReader(octokit, repository),
      observe: input.observe,
      ...(input.dryRun ? {} : { publisher: new GitDataPublisher(octokit, repository, clone.workspace, clone.commit) }),
      ...(input.selection ? { selection: input.selection } : {}),
      ...(input.force ? { force: true } : {}),
      ...(input.overrideDeclines ? { overrideDeclines: true } : {}),
      // Steps, not stacks (SPEC §8): the last merged step of each workload, from GitHub.
      steps: async () => stepsFromPullRequests(await (input.merged?.() ?? mergedProposals(octokit, repository))),
      ...(input.onStage ? { onStage: input.onStage } : {}),
      ...(input.mayOpen ? { mayOpen: input.mayOpen } : {}),
    });
  } finally {
    await clone.dispose();
  }
}
