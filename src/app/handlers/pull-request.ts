import type { Context } from "probot";
import {
  callGitHub,
  followClosedProposal,
  refreshTicked,
  untickRefresh,
  isProposalBranch,
  proposalStateOf,
  readRepositoryPolicy,
  readRawFile,
  type GitHubClient,
  type GitHubRepositoryInfo,
} from "../../pipeline/index.js";
import { InputError } from "../../domain/index.js";
import { DEFAULT_POLICY_PATH, defaultPolicy } from "../../policy/index.js";
import { renderReply } from "../render/reply.js";
import { runCommands, type ProposalPullRequest } from "../run-commands.js";
import { clientOf, installationToken, logErrorOf, maySteer, organizationOf, repositoryOf, type AppDependencies } from "../runtime.js";

type PullRequestPayload = Context<"pull_request.closed">["payload"]["pull_request"];


/** The proposal a pull request event is about, when it is one of rightsize's own. */
function proposalOf(pull: PullRequestPayload, repository: GitHubRepositoryInfo): ProposalPullRequest | undefined {
  const state = proposalStateOf(repository, pull);
  if (!state || !isProposalBranch(pull.head.ref) || pull.head.repo?.full_name !== `${repository.owner}/${repository.repo}`) return undefined;
  return { number: pull.number, branch: pull.head.ref, head: pull.head.sha, body: pull.body ?? "", open: pull.state === "open", state };
}

/**
 * `pull_request.closed` (SPEC §8): what the proposal's life says for it (merged: recorded; closed
 * by a person: "not these values", said once; the branch deleted only when it holds rightsize's
 * commits alone).
 */
export async function onPullRequestClosed(context: Context<"pull_request.closed">, deps: AppDependencies): Promise<void> {
  const repository = await repositoryOf(context.payload, deps);
  const { pull_request: pull, sender } = context.payload;
  const octokit = clientOf(context);
  await deps.locks.run(`${repository.owner}/${repository.repo}`, () =>
    followClosedProposal(
      { octokit, repository, now: deps.now(), policy: () => policyOrDefaults(octokit, repository) },
      { number: pull.number, body: pull.body, user: pull.user, head: pull.head, merged: pull.merged ?? false, mergedAt: pull.merged_at, mergeCommit: pull.merge_commit_sha },
      sender.type === "Bot" ? "rightsize" : "person",
    ),
  );
}

/** `pull_request.edited`: ticking "refresh this proposal" does what `/rightsize refresh` does (SPEC §8). */
export async function onPullRequestEdited(context: Context<"pull_request.edited">, deps: AppDependencies): Promise<void> {
  const repository = await repositoryOf(context.payload, deps);
  const pull = context.payload.pull_request;
  const before = context.payload.changes.body?.from ?? "";
  const proposal = proposalOf(pull, repository);
  if (!proposal || !proposal.open || context.payload.sender?.type !== "User") return;
  if (!refreshTicked(proposal.body) || refreshTicked(before)) return;
  const octokit = clientOf(context);
  if (!(await maySteer(deps, octokit, repository, context.payload.sender.login))) return;
  await deps.locks.run(`${repository.owner}/${repository.repo}`, async () => {
    // The refreshed body has the box unticked again; a failed refresh unticks it here.
    const line = "/rightsize refresh (the checkbox)";
    const organization = organizationOf(deps, octokit, repository, context.payload.installation?.id);
    const [outcome] = await runCommands([{ line, name: "refresh" }], { octokit, repository, token: () => installationToken(context), deps, pullRequest: proposal, logError: logErrorOf(context), ...organization });
    await untickRefresh({ octokit, repository }, pull.number);
    await callGitHub(repository, "reply", () =>
      octokit.rest.issues.createComment({ owner: repository.owner, repo: repository.repo, issue_number: pull.number, body: renderReply(context.payload.sender?.login ?? "", [outcome!]) }),
    );
  });
}

/** The policy for wording a notice: an invalid one must not stop the notice (its issue says what is wrong). */
async function policyOrDefaults(octokit: GitHubClient, repository: GitHubRepositoryInfo) {
  try {
    return (await readRepositoryPolicy(octokit, repository, await readRawFile(octokit, { ...repository, path: DEFAULT_POLICY_PATH }))).policy;
  } catch (error) {
    if (error instanceof InputError) return defaultPolicy();
    throw error;
  }
}
