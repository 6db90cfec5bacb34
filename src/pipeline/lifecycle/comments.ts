import { callGitHub, type GitHubClient, type GitHubRepository } from "../github/client.js";
import { hasComment } from "../github/upsert.js";

/**
 * Comments once (SPEC §8): a comment carrying `marker` that rightsize wrote means it was said, so
 * a repeated delivery, a retried job or a second replica says nothing more.
 */
export async function commentOnce(octokit: GitHubClient, repository: GitHubRepository, issueNumber: number, marker: string, body: string): Promise<boolean> {
  if (await hasComment(octokit, repository, issueNumber, marker)) return false;
  await callGitHub(repository, "comment", () =>
    octokit.rest.issues.createComment({ owner: repository.owner, repo: repository.repo, issue_number: issueNumber, body: `${body}\n\n${marker}` }),
  );
  return true;
}
