import type { Context } from "probot";
import { answeredCommentId, callGitHub, isProposalBranch, ownComments, proposalStateOf, type GitHubClient, type GitHubRepositoryInfo } from "../../pipeline/index.js";
import { parseCommands, type SlashCommand } from "../commands.js";
import type { WorkJob } from "../queue.js";
import { renderRefusal, renderReply } from "../render/reply.js";
import { runCommands, type ProposalPullRequest } from "../run-commands.js";
import { claimOnce, clientOf, installationToken, logErrorOf, maySteer, organizationOf, repositoryOf, type AppDependencies } from "../runtime.js";

/** A reader is told "no" at most once an hour per issue (SPEC §9: a flood of readers never delays a writer). */
export const REFUSAL_INTERVAL_MS = 60 * 60 * 1000;

/**
 * `issue_comment.created` (SPEC §9): commands from writers are run, one reply answers them all.
 * The permission is checked first, outside the repository's lane: a reader gets at most one
 * short refusal per issue and hour and no reaction; a writer's commands run in the lane.
 * Edited comments are not subscribed to; bots (rightsize included) are ignored.
 */
export async function onIssueComment(context: Context<"issue_comment.created">, deps: AppDependencies, job?: WorkJob): Promise<void> {
  const { comment, issue, sender } = context.payload;
  if (!holdsCommands(context.payload)) return;
  const commands = parseCommands(comment.body);
  const octokit = clientOf(context);
  const repository = await repositoryOf(context.payload, deps);
  const author = comment.user?.login ?? sender.login;
  if (!job?.authorized) {
    if (!(await maySteer(deps, octokit, repository, author))) return refuse(deps, octokit, repository, issue.number, author, commands, comment.id);
    if (job && deps.queue) {
      // Checked beside the repository's other work; the commands themselves run in its lane.
      await deps.queue.enqueue({ ...job, id: `${job.id}-commands`, exclusive: true, authorized: true });
      return;
    }
  }
  const target = { owner: repository.owner, repo: repository.repo, issue_number: issue.number };
  await deps.locks.run(`${repository.owner}/${repository.repo}`, async () => {
    // A repeated delivery (or a second replica) finds the first reply and does nothing.
    if (await alreadyAnswered(octokit, repository, issue.number, comment.id)) return;
    await callGitHub(repository, "react to the comment", () =>
      octokit.rest.reactions.createForIssueComment({ owner: repository.owner, repo: repository.repo, comment_id: comment.id, content: "eyes" }),
    );
    const pullRequest = issue.pull_request ? await proposalPullRequest(octokit, repository, issue.number) : undefined;
    const organization = organizationOf(deps, octokit, repository, context.payload.installation?.id);
    const commandContext = { octokit, repository, token: () => installationToken(context), deps, pullRequest, logError: logErrorOf(context), ...organization };
    const outcomes = await runCommands(commands, commandContext);
    await callGitHub(repository, "reply", () => octokit.rest.issues.createComment({ ...target, body: renderReply(author, outcomes, comment.id) }));
  });
}

/** A comment by a person with at least one `/rightsize` line: the only comments rightsize works on. */
export function holdsCommands(payload: Pick<Context<"issue_comment.created">["payload"], "comment" | "sender">): boolean {
  if (payload.sender.type === "Bot" || payload.comment.user?.type === "Bot") return false;
  return parseCommands(payload.comment.body).length > 0;
}

async function refuse(
  deps: AppDependencies,
  octokit: GitHubClient,
  repository: GitHubRepositoryInfo,
  issueNumber: number,
  author: string,
  commands: readonly SlashCommand[],
  commentId: number,
): Promise<void> {
  for (const command of commands) deps.telemetry?.commands.inc({ command: command.name, result: "refused" });
  if (!(await claimOnce(deps, `refusal:${repository.owner}/${repository.repo}#${issueNumber}:${author}`, REFUSAL_INTERVAL_MS))) return;
  await callGitHub(repository, "reply", () =>
    octokit.rest.issues.createComment({ owner: repository.owner, repo: repository.repo, issue_number: issueNumber, body: renderRefusal(author, commentId) }),
  );
}

async function alreadyAnswered(octokit: GitHubClient, repository: GitHubRepositoryInfo, issueNumber: number, commentId: number): Promise<boolean> {
  return (await ownComments(octokit, repository, issueNumber)).some((comment) => answeredCommentId(comment.body) === commentId);
}

async function proposalPullRequest(octokit: GitHubClient, repository: GitHubRepositoryInfo, number: number): Promise<ProposalPullRequest | undefined> {
  const { data } = await callGitHub(repository, "read the pull request", () => octokit.rest.pulls.get({ owner: repository.owner, repo: repository.repo, pull_number: number }));
  const state = proposalStateOf(repository, data);
  if (!state || !isProposalBranch(data.head.ref) || data.head.repo?.full_name !== `${repository.owner}/${repository.repo}`) return undefined;
  return { number, branch: data.head.ref, head: data.head.sha, body: data.body ?? "", open: data.state === "open", state };
}
