import { MARKERS } from "../lifecycle/markers.js";
import { code } from "../../domain/index.js";
import { formatPolicyProblem, type PolicyProblem } from "../../policy/index.js";
import type { GitHubClient, GitHubRepository } from "../github/client.js";
import { closeIssue, upsertIssue } from "../github/upsert.js";

export const POLICY_ISSUE_TITLE = "rightsize: fix the policy file";

/**
 * SPEC §7: while the default branch's policy is invalid, proposals pause and one issue lists every
 * problem with its fix; a valid policy closes it. Idempotent: a repeated run changes nothing.
 */
export async function syncPolicyIssue(
  octokit: GitHubClient,
  repository: GitHubRepository,
  branch: string,
  problems: readonly PolicyProblem[] | undefined,
): Promise<{ number: number; status: "created" | "updated" | "unchanged" | "closed" } | undefined> {
  if (problems === undefined) {
    const closed = await closeIssue(octokit, repository, MARKERS.policyIssue, "rightsize", `The policy on ${code(branch)} is valid again; rightsize proposes again.`);
    return closed === undefined ? undefined : { number: closed, status: "closed" };
  }
  return upsertIssue(octokit, repository, { marker: MARKERS.policyIssue, title: POLICY_ISSUE_TITLE, body: renderPolicyIssue(problems, branch), labels: ["rightsize"] });
}

export function renderPolicyIssue(problems: readonly PolicyProblem[], branch: string): string {
  return [
    `rightsize has paused proposals in this repository: the policy on ${code(branch)} is not valid. Fix every problem below; rightsize closes this issue when the file is valid again.`,
    "",
    ...problems.map((problem) => `- ${code(formatPolicyProblem(problem))}`),
    "",
    "`/rightsize policy validate` in any issue checks the file again; the README's policy reference lists every setting with its default.",
    "",
    MARKERS.policyIssue,
  ].join("\n");
}
