import { InputError } from "../domain/index.js";
import type { RepoFile } from "../manifests/index.js";
import { DEFAULT_POLICY_PATH, DEFAULTS_SOURCE, defaultPolicy, PolicyInvalidError, type LoadedPolicy, type PolicyProblem, type PolicyText } from "../policy/index.js";
import { syncDashboard } from "./dashboard-sync.js";
import { syncPolicyIssue } from "./policy-issue.js";
import { openRevert } from "./revert.js";
import type { WorkloadCheck } from "./verification.js";
import { mergedProposals, verifyMergedProposals, type MergedProposal, type VerificationOutcome } from "./verify-merged.js";
import { callGitHub, httpStatusOf, type GitHubClient, type GitHubRepository, type RepositoryName } from "./github-client.js";
import { loadPolicyChain } from "./policy-source.js";
import { GitDataPublisher } from "./publish/git-data.js";
import { proposeForRepository, type RepositoryPorts, type RepositoryRun } from "./repository.js";
import { selectionsOfKeys, type WorkloadSelection } from "./selection.js";
import { GitWorkspace } from "./workspace.js";

/** A repository as the API describes it: every URL comes from GitHub's own answers (SPEC §10, GHES). */
export interface GitHubRepositoryInfo extends GitHubRepository {
  defaultBranch: string;
  cloneUrl: string;
}

/** A policy file larger than this is refused before it is parsed. */
const MAX_POLICY_BYTES = 256 * 1024;

/** Probot's `_extends` form (@probot/octokit-plugin-config): `[owner/]repo[:path.yml]`; which repositories it may name is narrower (SPEC §9). */
const EXTENDS_REFERENCE = /^(?:([a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38})\/)?([-_.\w\d]+)(?::([-_./\w\d]+\.ya?ml))?$/i;

/**
 * The repository's policy as Probot's `context.config("rightsize.yml")` finds it: the
 * repository's own `.github/rightsize.yml` (given, read from the commit being planned), else the
 * owner's `.github` repository's; `_extends: [owner/]repo[:path]` bases read through the API.
 * Unlike `context.config`, the texts are kept, so every problem names its file, line and column.
 * A policy may extend only files of its own repository and of its owner's `.github` repository
 * (SPEC §9): a policy from a fork, or a writer's, never makes rightsize read another repository
 * the installation can read, and the refusal says nothing of whether that repository exists.
 */
export async function readRepositoryPolicy(
  octokit: GitHubClient,
  repository: RepositoryName,
  ownText: string | undefined,
): Promise<LoadedPolicy> {
  let file: PolicyText | undefined = ownText === undefined ? undefined : { path: DEFAULT_POLICY_PATH, text: ownText };
  if (!file && repository.repo !== ".github") {
    const organisation = { owner: repository.owner, repo: ".github", path: DEFAULT_POLICY_PATH };
    const text = await readRawFile(octokit, organisation);
    if (text !== undefined) file = { path: displayPath(organisation), text };
  }
  if (!file) return { policy: defaultPolicy(), source: DEFAULTS_SOURCE, canPropose: true, warnings: [] };
  return loadPolicyChain(file, async (reference, from) => {
    const match = EXTENDS_REFERENCE.exec(reference);
    if (!match) {
      throw new InputError(`${from.path}: _extends: "${reference}" is not a repository reference; write repo, owner/repo or owner/repo:path/to/file.yml`, {
        file: from.path,
        field: "_extends",
      });
    }
    const base = { owner: match[1] ?? repository.owner, repo: match[2]!, path: match[3] ?? DEFAULT_POLICY_PATH };
    if (base.owner.toLowerCase() !== repository.owner.toLowerCase() || ![repository.repo.toLowerCase(), ".github"].includes(base.repo.toLowerCase())) {
      throw new InputError(
        `${from.path}: _extends: "${reference}" names another repository; a policy may extend a file of this repository (${repository.repo}:path/to/file.yml) or the organisation's defaults (${repository.owner}/.github)`,
        { file: from.path, field: "_extends" },
      );
    }
    const text = await readRawFile(octokit, base);
    return text === undefined ? undefined : { path: displayPath(base), text };
  });
}

/** The policy of the files of a commit, with Probot's fallbacks for what the commit lacks. */
export function gitHubPolicyReader(octokit: GitHubClient, repository: GitHubRepository): (files: RepoFile[]) => Promise<LoadedPolicy> {
  return (files) => readRepositoryPolicy(octokit, repository, files.find((file) => file.path === DEFAULT_POLICY_PATH)?.text);
}

/** One file's text at a ref, through the API; undefined when it does not exist. */
export async function readRawFile(octokit: GitHubClient, file: RepositoryName & { path: string; ref?: string }): Promise<string | undefined> {
  let data: unknown;
  try {
    ({ data } = await octokit.rest.repos.getContent({ owner: file.owner, repo: file.repo, path: file.path, ...(file.ref ? { ref: file.ref } : {}), mediaType: { format: "raw" } }));
  } catch (error) {
    if (httpStatusOf(error) === 404) return undefined;
    return callGitHub(file, `read ${file.path}`, () => Promise.reject(error));
  }
  // The raw media type comes back as text, or as bytes when GitHub names no charset.
  if (data instanceof ArrayBuffer) data = new TextDecoder("utf-8", { fatal: false }).decode(data);
  if (typeof data !== "string") throw new InputError(`${displayPath(file)} is a directory, not a file; the policy is a YAML file`);
  if (Buffer.byteLength(data) > MAX_POLICY_BYTES) throw new InputError(`${displayPath(file)} is larger than ${MAX_POLICY_BYTES / 1024} KiB; a policy file is a few lines of YAML`);
  return data;
}

function displayPath(file: RepositoryName & { path: string }): string {
  return `${file.owner}/${file.repo}:${file.path}`;
}

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
  onStage?: RepositoryPorts["onStage"];
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
      ...(input.onStage ? { onStage: input.onStage } : {}),
    });
  } finally {
    await clone.dispose();
  }
}

export interface ScanOutcome {
  run?: RepositoryRun;
  /** The default branch's policy is invalid: proposals paused, the policy issue lists these. */
  policyProblems?: PolicyProblem[];
  policyIssue?: { number: number; status: string };
  /** The checks after merge this scan made (SPEC §8). */
  verification?: VerificationOutcome[];
  dashboard?: { number: number; status: string };
}

/**
 * A scheduled scan (the app's scheduler, `rightsize scan`): every workload proposed, merged
 * proposals checked, the dashboard issue brought up to date, and the "fix the policy file" issue
 * opened, updated or closed to match the policy (SPEC §7, §8). Safe to repeat: proposals are
 * idempotent, so two replicas scanning at once open no duplicates.
 */
export async function scanGitHubRepository(input: GitHubRunInput & { now: Date }): Promise<ScanOutcome> {
  const { octokit, repository } = input;
  let run: RepositoryRun;
  try {
    run = await runForGitHubRepository(input);
  } catch (error) {
    if (!(error instanceof PolicyInvalidError)) throw error;
    const issue = input.dryRun ? undefined : await syncPolicyIssue(octokit, repository, repository.defaultBranch, error.problems);
    return { policyProblems: error.problems, ...(issue ? { policyIssue: issue } : {}) };
  }
  if (input.dryRun) return { run };
  const issue = await syncPolicyIssue(octokit, repository, repository.defaultBranch, undefined);
  const merged = run.loaded.policy.mode === "disabled" ? [] : await mergedProposals(octokit, repository);
  const verification =
    merged.length === 0
      ? []
      : await verifyMergedProposals({
          octokit,
          repository,
          merged,
          loaded: run.loaded,
          observe: input.observe,
          now: input.now,
          snapshot: run.snapshot,
          onWrong: (proposal, checks) => correctWrongVerdict(input, run.loaded, proposal, checks),
        });
  // Every recent verdict, this scan's and earlier ones (kept in the merged pull requests' markers).
  const verdicts = merged.flatMap((proposal) =>
    proposal.state.verification?.verdict ? proposal.state.workloads.map((workload) => ({ number: proposal.number, key: workload.key, verdict: proposal.state.verification!.verdict! })) : [],
  );
  // Saved so far: what merged proposals priced, unless the check after merge called them wrong.
  const mergedRecords = merged.filter((proposal) => proposal.state.verification?.verdict !== "wrong").flatMap((proposal) => proposal.records);
  const dashboard = await syncDashboard(octokit, repository, run, { verdicts, mergedRecords });
  return { run, verification, ...(issue ? { policyIssue: issue } : {}), ...(dashboard ? { dashboard } : {}) };
}

/**
 * The daily check after merge of one repository (SPEC §8), between scans: cheap when nothing
 * waits (one listing), observing only when a merged proposal needs it.
 */
export async function verifyGitHubRepository(input: GitHubRunInput & { now: Date }): Promise<VerificationOutcome[]> {
  const { octokit, repository } = input;
  const merged = await mergedProposals(octokit, repository);
  if (!merged.some((proposal) => !proposal.state.verification?.checkedAt)) return [];
  const loaded = await readRepositoryPolicy(octokit, repository, await readRawFile(octokit, { ...repository, path: DEFAULT_POLICY_PATH }));
  if (loaded.policy.mode === "disabled") return [];
  return verifyMergedProposals({ octokit, repository, loaded, observe: input.observe, now: input.now, merged, onWrong: (proposal, checks) => correctWrongVerdict(input, loaded, proposal, checks) });
}

/**
 * A wrong verdict (SPEC §8): with OOM kills the previous values come back in a revert pull
 * request; without (CPU too tight) the next proposal of those workloads follows at once.
 */
async function correctWrongVerdict(input: GitHubRunInput, loaded: LoadedPolicy, proposal: MergedProposal, checks: WorkloadCheck[]): Promise<string> {
  const oomKilled = checks.some((check) => check.containers.some((container) => container.oomKills > 0));
  if (oomKilled) {
    const revert = await openRevert({ octokit: input.octokit, repository: input.repository, token: input.token, loaded, merged: { number: proposal.number, records: proposal.records }, checks });
    return revert.status === "refused"
      ? `rightsize could not open a revert: ${revert.reason}. Restore the previous values by hand (the decision record lists them).`
      : revert.status === "unchanged"
        ? `#${revert.number} already restores the previous values.`
        : `rightsize ${revert.status} #${revert.number} to restore the previous values.`;
  }
  const [selection] = selectionsOfKeys(proposal.state.workloads.map((workload) => workload.key));
  const run = await runForGitHubRepository({ ...input, selection: selection ?? { targets: [] }, force: true });
  const opened = run.results.find((result) => result.pullRequestNumber !== undefined);
  if (opened) return `rightsize proposed the next values in #${opened.pullRequestNumber}.`;
  const failed = run.results.find((result) => result.reason);
  if (failed) return `rightsize could not propose the next values: ${failed.status}: ${failed.reason}`;
  const reasons = run.selected.flatMap((workload) => workload.record.decision.reasons);
  return `rightsize has no larger value to propose yet (${reasons.join("; ") || "no observation"}); it checks again on the next scan.`;
}
