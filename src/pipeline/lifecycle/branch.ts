import { callGitHub, httpStatusOf, type GitHubClient, type GitHubRepositoryInfo } from "../github/client.js";
import { DECISION_TRAILER } from "../checkout/workspace.js";

/**
 * Whose a branch is (SPEC §8: rightsize never deletes, force-pushes over or rewrites a commit it
 * did not write): "ours" when every commit it has beyond the default branch is a rightsize commit
 * (the decision trailer, and rightsize's account as author where GitHub names one), "foreign"
 * otherwise, "gone" when it no longer exists.
 */
export async function branchOwnership(octokit: GitHubClient, repository: GitHubRepositoryInfo, branch: string): Promise<"ours" | "foreign" | "gone"> {
  const where = { owner: repository.owner, repo: repository.repo };
  let tip: string;
  try {
    tip = (await octokit.rest.git.getRef({ ...where, ref: `heads/${branch}` })).data.object.sha;
  } catch (error) {
    if (httpStatusOf(error) === 404) return "gone";
    return callGitHub(repository, "read the branch", () => Promise.reject(error));
  }
  const comparison = await callGitHub(repository, "compare the branch with the default branch", () =>
    octokit.rest.repos.compareCommitsWithBasehead({ ...where, basehead: `${repository.defaultBranch}...${tip}`, per_page: 100 }),
  );
  const { ahead_by: ahead, commits } = comparison.data;
  if (commits.length < ahead) return "foreign";
  const ours = commits.every((commit) => {
    const author = commit.author?.login;
    return commit.commit.message.includes(`${DECISION_TRAILER}:`) && (author === undefined || repository.botLogin === undefined || author === repository.botLogin);
  });
  return ours ? "ours" : "foreign";
}

/** Deletes a branch that is rightsize's alone; a branch with someone else's commits stays. */
export async function deleteOwnBranch(octokit: GitHubClient, repository: GitHubRepositoryInfo, branch: string, owner?: "ours" | "foreign" | "gone"): Promise<"deleted" | "kept" | "gone"> {
  const known = owner ?? (await branchOwnership(octokit, repository, branch));
  if (known !== "ours") return known === "gone" ? "gone" : "kept";
  try {
    await octokit.rest.git.deleteRef({ owner: repository.owner, repo: repository.repo, ref: `heads/${branch}` });
  } catch (error) {
    // Gone meanwhile (GitHub's "delete head branches" setting, or a second delivery): nothing to do.
    if (httpStatusOf(error) !== 422 && httpStatusOf(error) !== 404) await callGitHub(repository, "delete the branch", () => Promise.reject(error));
    return "gone";
  }
  return "deleted";
}
