import type { Context } from "probot";
import { callGitHub, isProposalBranch, parseStateMarker, type GitHubClient, type GitHubRepositoryInfo } from "../../pipeline/index.js";
import { parseCommands } from "../commands.js";
import { answeredCommentId, renderRefusal, renderReply } from "../render/reply.js";
import { runCommands, type ProposalPullRequest } from "../run-commands.js";
import { clientOf, installationToken, logErrorOf, repositoryOf, type AppDependencies } from "../runtime.js";

const OBEYED = new Set(["admin", "maintain", "write"]);

/**
 * `issue_comment.created` (SPEC §9): commands from writers are run, one reply answers them all.
 * Edited comments are not subscribed to; bots (rightsize included) are ignored.
 */
export async function onIssueComment(context: Context<"issue_comment.created">, deps: AppDependencies): Promise<void> {
  const { comment, issue, sender } = context.payload;
  if (sender.type === "Bot" || comment.user?.type === "Bot") return;
  const commands = parseCommands(comment.body);
  if (commands.length === 0) return;
  const octokit = clientOf(context);
  const repository = repositoryOf(context.payload);
  const target = { owner: repository.owner, repo: repository.repo, issue_number: issue.number };
  await deps.locks.run(`${repository.owner}/${repository.repo}`, async () => {
    // A repeated delivery (or a second replica) finds the first reply and does nothing.
    if (await alreadyAnswered(octokit, repository, issue.number, comment.id)) return;
    await callGitHub(repository, "react to the comment", () =>
      octokit.rest.reactions.createForIssueComment({ owner: repository.owner, repo: repository.repo, comment_id: comment.id, content: "eyes" }),
    );
    const author = comment.user?.login ?? sender.login;
    if (!(await maySteer(octokit, repository, author))) {
      for (const command of commands) deps.telemetry?.commands.inc({ command: command.name, result: "refused" });
      await callGitHub(repository, "reply", () => octokit.rest.issues.createComment({ ...target, body: renderRefusal(author, comment.id) }));
      return;
    }
    const pullRequest = issue.pull_request ? await proposalPullRequest(octokit, repository, issue.number) : undefined;
    const commandContext = { octokit, repository, token: () => installationToken(context), deps, pullRequest, logError: logErrorOf(context) };
    const outcomes = await runCommands(commands, commandContext);
    await callGitHub(repository, "reply", () => octokit.rest.issues.createComment({ ...target, body: renderReply(author, outcomes, comment.id) }));
  });
}

async function alreadyAnswered(octokit: GitHubClient, repository: GitHubRepositoryInfo, issueNumber: number, commentId: number): Promise<boolean> {
  const comments = await callGitHub(repository, "read the comments", () =>
    octokit.paginate(octokit.rest.issues.listComments, { owner: repository.owner, repo: repository.repo, issue_number: issueNumber, per_page: 100 }),
  );
  return comments.some((comment) => answeredCommentId(comment.body) === commentId);
}

/** SPEC §9: write, maintain and admin are obeyed (`role_name` tells maintain from write). */
async function maySteer(octokit: GitHubClient, repository: GitHubRepositoryInfo, username: string): Promise<boolean> {
  const { data } = await callGitHub(repository, "read the commenter's permission", () =>
    octokit.rest.repos.getCollaboratorPermissionLevel({ owner: repository.owner, repo: repository.repo, username }),
  );
  return OBEYED.has(data.permission) || OBEYED.has(data.role_name);
}

async function proposalPullRequest(octokit: GitHubClient, repository: GitHubRepositoryInfo, number: number): Promise<ProposalPullRequest | undefined> {
  const { data } = await callGitHub(repository, "read the pull request", () => octokit.rest.pulls.get({ owner: repository.owner, repo: repository.repo, pull_number: number }));
  const state = parseStateMarker(data.body);
  if (!state || !isProposalBranch(data.head.ref) || data.head.repo?.full_name !== `${repository.owner}/${repository.repo}`) return undefined;
  return { number, branch: data.head.ref, head: data.head.sha, body: data.body ?? "", open: data.state === "open", state };
}
