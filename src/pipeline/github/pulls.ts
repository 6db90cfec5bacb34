import { callGitHub, type GitHubClient, type GitHubRepository } from "./client.js";

/** An open pull request, as far as the dashboard and the rescan read one. */
export interface OpenPullRequest {
  number: number;
  title: string;
  head: { ref: string; sha: string };
  body?: string | null;
  user?: { login?: string | null; type?: string | null } | null;
}

/** The repository's open pull requests: one listing, which the dashboard and the rescan check share. */
export function listOpenPullRequests(octokit: GitHubClient, repository: GitHubRepository): Promise<OpenPullRequest[]> {
  const { owner, repo } = repository;
  return callGitHub(repository, "list open pull requests", () => octokit.paginate(octokit.rest.pulls.list, { owner, repo, state: "open", per_page: 100 }));
}
