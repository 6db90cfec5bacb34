import { Octokit } from "@octokit/rest";
import { ExternalError, InputError, UsageError } from "../domain/index.js";
import {
  GitHubPublisher,
  GitWorkspace,
  planRepository,
  proposeChanges,
  readCommitFiles,
  repositoryFromRemoteUrl,
  type Plan,
  type ProposalResult,
} from "../pipeline/index.js";
import type { PipelineInputs } from "./pipeline-options.js";

export interface GitHubOptions {
  token: string;
  remote: string;
  repository?: string;
  apiUrl?: string;
}

export interface ProposalRun {
  plan: Plan;
  results: ProposalResult[];
  paused: string | undefined;
  baseBranch: string;
}

/** `propose` and `demo`: plan against the default branch's tip, then write the proposals. */
export async function runProposals(inputs: PipelineInputs, github?: GitHubOptions): Promise<ProposalRun> {
  const workspace = new GitWorkspace(inputs.repoDir);
  if (!(await workspace.resolve("HEAD"))) {
    throw new InputError(`${inputs.repoDir}: not a git repository with a commit; propose works in a clone of the config repo`, { file: inputs.repoDir });
  }
  const baseBranch = await workspace.defaultBranch(github?.remote);
  const baseRef = github ? await fetchBase(workspace, github, baseBranch) : `refs/heads/${baseBranch}`;
  const baseCommit = await workspace.resolve(baseRef);
  if (!baseCommit) throw new InputError(`${inputs.repoDir}: the default branch ${baseBranch} has no commit`);
  const files = await readCommitFiles(inputs.repoDir, baseCommit);
  const plan = planRepository({ files, loaded: inputs.loaded, snapshot: inputs.snapshot, at: inputs.at });
  const publisher = github ? await gitHubPublisher(workspace, github, baseCommit) : undefined;
  const results = await proposeChanges({
    plan,
    policy: inputs.loaded.policy,
    workspace,
    base: { branch: baseBranch, commit: baseCommit, files },
    ...(publisher ? { github: publisher } : {}),
  });
  return { plan, results, paused: plan.proposalsPaused, baseBranch };
}

async function fetchBase(workspace: GitWorkspace, github: GitHubOptions, baseBranch: string): Promise<string> {
  const tip = await workspace.fetchRemoteBranch(github.remote, baseBranch, { token: github.token });
  if (!tip) throw new ExternalError(`the remote ${github.remote} has no branch ${baseBranch}`);
  return tip;
}

async function gitHubPublisher(workspace: GitWorkspace, github: GitHubOptions, baseCommit: string): Promise<GitHubPublisher> {
  const repository = github.repository ? parseRepository(github.repository) : repositoryFromRemoteUrl(await workspace.remoteUrl(github.remote));
  if (!repository) {
    throw new UsageError(`cannot tell the GitHub repository from the URL of remote ${github.remote}; pass --github-repo OWNER/NAME`);
  }
  const octokit = new Octokit({ auth: github.token, baseUrl: apiUrl(github.apiUrl), userAgent: "rightsize" });
  return new GitHubPublisher(octokit, repository, workspace, github.remote, baseCommit, { token: github.token });
}

function parseRepository(text: string): { owner: string; repo: string } {
  const [owner, repo, ...rest] = text.split("/");
  if (!owner || !repo || rest.length > 0) throw new UsageError(`--github-repo: expected OWNER/NAME, got "${text}"`);
  return { owner, repo };
}

/** GitHub Enterprise Server works as Probot supports it: GHE_HOST and GHE_PROTOCOL (SPEC §10). */
function apiUrl(explicit: string | undefined): string {
  if (explicit) return explicit;
  if (process.env.GITHUB_API_URL) return process.env.GITHUB_API_URL;
  if (process.env.GHE_HOST) return `${process.env.GHE_PROTOCOL ?? "https"}://${process.env.GHE_HOST}/api/v3`;
  return "https://api.github.com";
}
