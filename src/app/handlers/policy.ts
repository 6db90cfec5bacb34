import type { Context } from "probot";
import {
  callGitHub,
  checkPolicyAt,
  followBranchPush,
  previewPolicyChange,
  rebuildConflicted,
  syncPolicyIssue,
  upsertCheckRun,
  type GitHubRepositoryInfo,
  type PolicyCheck,
} from "../../pipeline/index.js";
import { DEFAULT_POLICY_PATH } from "../../policy/index.js";
import { renderFailure } from "../render/failure.js";
import { POLICY_CHECK_NAME, renderPolicyCheck, renderPolicyPreview } from "../render/policy.js";
import { clientOf, installationToken, operatorObserver, organizationControls, redactEndpoints, repositoryOf, stageRecorder, type AppDependencies } from "../runtime.js";

type PullRequestChanged = Context<"pull_request.opened" | "pull_request.synchronize" | "pull_request.reopened">;

/**
 * A pull request that changes `.github/rightsize.yml` gets the "rightsize policy" check run: one
 * annotation per problem at its line, and a preview of what the new policy would propose (SPEC §7).
 * The policy is read from the base repository at the head commit (GitHub serves a fork's commits
 * there), and resolved as the base repository's own (SPEC §9). A fork gets no preview: its
 * policy may name any cluster of the operator's, and the check run is public.
 */
export async function onPolicyChangeProposed(context: PullRequestChanged, deps: AppDependencies): Promise<void> {
  const repository = await repositoryOf(context.payload, deps);
  const pull = context.payload.pull_request;
  const octokit = clientOf(context);
  const files = await callGitHub(repository, "list the changed files", () =>
    octokit.paginate(octokit.rest.pulls.listFiles, { owner: repository.owner, repo: repository.repo, pull_number: pull.number, per_page: 100 }),
  );
  if (!files.some((file) => file.filename === DEFAULT_POLICY_PATH || file.previous_filename === DEFAULT_POLICY_PATH)) return;
  const fromFork = pull.head.repo?.full_name !== `${repository.owner}/${repository.repo}`;
  // The clusters it names are checked against the operator's (a fork's public check run does not list them).
  const check = await checkPolicyAt(octokit, repository, pull.head.sha, { clusters: deps.clusters, nameServed: !fromFork });
  const preview = !check.loaded || check.unserved ? undefined : fromFork ? FORK_PREVIEW : await previewText(context, deps, repository, check);
  await upsertCheckRun(octokit, repository, { name: POLICY_CHECK_NAME, headSha: pull.head.sha, ...renderPolicyCheck(check.problems, preview, "pull-request") });
}

const FORK_PREVIEW = "#### What this policy change would do\n\nNo preview for a pull request from a fork: rightsize observes clusters only for changes made in this repository. Once merged, the next scan proposes under the new policy.";

async function previewText(context: PullRequestChanged, deps: AppDependencies, repository: GitHubRepositoryInfo, check: PolicyCheck): Promise<string> {
  try {
    const { preview, at } = await previewPolicyChange({
      octokit: clientOf(context),
      repository,
      token: await installationToken(context),
      proposed: check.loaded!,
      observe: operatorObserver(deps),
    });
    return renderPolicyPreview(preview, at);
  } catch (error) {
    return `#### What this policy change would do\n\nNo preview: ${renderFailure(error, redactEndpoints(deps))}`;
  }
}

/**
 * `push`. To a rightsize branch, by someone else: the branch is theirs now, and its pull request
 * says so once (SPEC §8). To the default branch: open rightsize pull requests it conflicts with
 * are rebuilt on the new tip; touching the policy, the check run on the pushed commit and the
 * "fix the policy file" issue opened or closed (SPEC §7).
 */
export async function onPush(context: Context<"push">, deps: AppDependencies): Promise<void> {
  const { payload } = context;
  if (payload.deleted) return;
  const repository = await repositoryOf(payload as unknown as Parameters<typeof repositoryOf>[0], deps);
  const branch = payload.ref.replace(/^refs\/heads\//, "");
  const octokit = clientOf(context);
  if (branch.startsWith("rightsize/")) {
    if (payload.sender?.type === "Bot") return;
    await followBranchPush({ octokit, repository }, branch, `${payload.sender?.login ?? "someone"} pushed ${payload.after.slice(0, 12)} to it`);
    return;
  }
  if (branch !== repository.defaultBranch) return;
  // Paused for the organisation (SPEC §10): proposals are not rebuilt; the policy is still checked.
  const paused = (await organizationControls(deps, octokit, repository.owner)).paused;
  if (!paused) await deps.locks.run(`${repository.owner}/${repository.repo}`, async () => {
    const onStage = stageRecorder(deps);
    await rebuildConflicted({ octokit, repository, token: await installationToken(context), observe: operatorObserver(deps), tip: payload.after, ...(onStage ? { onStage } : {}) });
  });
  if (!touchesPolicy(payload.commits)) return;
  deps.onRepositorySeen?.(payload.installation?.id ?? 0, repository);
  const check = await checkPolicyAt(octokit, repository, payload.after);
  await upsertCheckRun(octokit, repository, { name: POLICY_CHECK_NAME, headSha: payload.after, ...renderPolicyCheck(check.problems, undefined, "default-branch") });
  const invalid = check.problems.some((problem) => problem.severity === "error");
  await syncPolicyIssue(octokit, repository, repository.defaultBranch, invalid ? check.problems : undefined);
}

/** GitHub lists at most 20 commits in a push; with more, the policy may have changed. */
function touchesPolicy(commits: readonly { added?: string[]; modified?: string[]; removed?: string[] }[]): boolean {
  if (commits.length >= 20) return true;
  return commits.some((commit) => [...(commit.added ?? []), ...(commit.modified ?? []), ...(commit.removed ?? [])].includes(DEFAULT_POLICY_PATH));
}
