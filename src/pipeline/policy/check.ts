import { DEFAULT_POLICY_PATH, PolicyInvalidError, type LoadedPolicy, type PolicyProblem } from "../../policy/index.js";
import { RightsizeError } from "../../domain/index.js";
import { TOOL } from "../../version.js";
import { gitHubPolicyReader, readRawFile, readRepositoryPolicy } from "./github.js";
import type { GitHubRepositoryInfo } from "../github/client.js";
import type { GitHubClient } from "../github/client.js";
import { planRepository } from "../plan/plan.js";
import { comparePlans, type PolicyPreview } from "./preview.js";
import { readCommitFiles } from "../checkout/files.js";
import type { RepositoryPorts } from "../propose/repository.js";
import { GitWorkspace } from "../checkout/workspace.js";
import { unservedClusterProblems, unservedClusters, type OperatorClusters } from "../clusters.js";

export interface PolicyCheck {
  /** Every problem (errors and warnings) with file, line and column. */
  problems: PolicyProblem[];
  /** The policy, when it is valid. */
  loaded?: LoadedPolicy;
  /** With the operator's clusters: the names the policy uses that the operator does not serve (their problems are in `problems`). */
  unserved?: string[];
}

/** The app checks a policy against the clusters its operator serves (SPEC §10); undefined: none are configured. */
export interface OperatorScope {
  clusters: OperatorClusters | undefined;
  /** False where the answer is public to anyone (a fork's pull request): the served names are not listed. */
  nameServed?: boolean;
}

/**
 * Validates a policy as the app reads it (`_extends` included): the repository's file at `ref`
 * (a pull request's head, from a fork too: GitHub serves its commits from the base repository),
 * else the default branch's. Problems are data, not a throw; a file too large to read is one.
 * With the operator's clusters, a cluster the policy names that the operator does not serve is a
 * problem too: the next run would refuse it.
 */
export async function checkPolicyAt(octokit: GitHubClient, repository: GitHubRepositoryInfo, ref?: string, operator?: OperatorScope): Promise<PolicyCheck> {
  let text: string | undefined;
  const check = await checked(repository, async () => readRepositoryPolicy(octokit, repository, (text = await readRawFile(octokit, { ...repository, path: DEFAULT_POLICY_PATH, ...(ref ? { ref } : {}) }))));
  if (!operator || !check.loaded) return check;
  const own = text === undefined || check.loaded.source.path !== DEFAULT_POLICY_PATH ? undefined : { path: DEFAULT_POLICY_PATH, text };
  const unserved = operator.clusters ? unservedClusters(check.loaded.policy, operator.clusters) : [];
  const problems = withinRepository(repository, unservedClusterProblems(check.loaded, operator.clusters, own, { nameServed: operator.nameServed ?? true }));
  return { ...check, problems: [...check.problems, ...problems], ...(unserved.length > 0 ? { unserved } : {}) };
}

/** Validates a policy text as the app reads it (`_extends` included); problems are data, not a throw. */
export async function checkPolicyText(octokit: GitHubClient, repository: GitHubRepositoryInfo, text: string | undefined): Promise<PolicyCheck> {
  return checked(repository, () => readRepositoryPolicy(octokit, repository, text));
}

async function checked(repository: GitHubRepositoryInfo, load: () => Promise<LoadedPolicy>): Promise<PolicyCheck> {
  try {
    const loaded = await load();
    return { problems: withinRepository(repository, loaded.warnings), loaded };
  } catch (error) {
    if (error instanceof PolicyInvalidError) return { problems: withinRepository(repository, error.problems) };
    if (error instanceof RightsizeError && error.code === "INPUT") {
      const { file = DEFAULT_POLICY_PATH, line = 1, column = 1, field = "" } = error.location;
      return { problems: withinRepository(repository, [{ severity: "error", file, line, column, field, message: error.message }]) };
    }
    throw error;
  }
}

/**
 * Problems of files outside the repository (the organisation's `.github` defaults) are told
 * without their keys, values or lines (SPEC §9): a check run on a public pull request never
 * quotes another repository's file.
 */
function withinRepository(repository: GitHubRepositoryInfo, problems: readonly PolicyProblem[]): PolicyProblem[] {
  const own = (file: string) => file === DEFAULT_POLICY_PATH || !file.includes(":") || file.startsWith(`${repository.owner}/${repository.repo}:`);
  return problems.map((problem) =>
    own(problem.file)
      ? problem
      : {
          severity: problem.severity,
          file: problem.file,
          line: 1,
          column: 1,
          field: "",
          message: `the base policy ${problem.file} has ${problem.severity === "error" ? "a problem" : "a warning"}; its maintainers see it with \`/rightsize policy validate\` in that repository`,
        },
  );
}

/**
 * What a policy change would do before it merges (the check run's preview, beyond the peers):
 * the default branch's manifests and fresh observations planned under the current and the
 * proposed policy.
 */
export async function previewPolicyChange(input: {
  octokit: GitHubClient;
  repository: GitHubRepositoryInfo;
  token: string;
  proposed: LoadedPolicy;
  observe: RepositoryPorts["observe"];
}): Promise<{ preview: PolicyPreview; at: string }> {
  const clone = await GitWorkspace.shallowClone(input.repository.cloneUrl, input.repository.defaultBranch, { token: input.token });
  try {
    const files = await readCommitFiles(clone.workspace.dir, clone.commit);
    const current = await gitHubPolicyReader(input.octokit, input.repository)(files).catch((error: unknown) => {
      // An invalid current policy proposes nothing; the preview shows everything the fix brings.
      if (error instanceof PolicyInvalidError) return undefined;
      throw error;
    });
    const { snapshot, at } = await input.observe(input.proposed, {});
    const after = planRepository({ tool: TOOL, files, loaded: input.proposed, snapshot, at });
    const before = current ? planRepository({ tool: TOOL, files, loaded: current, snapshot, at }) : { ...after, workloads: [], proposalsPaused: "the current policy is invalid" };
    return { preview: comparePlans(before, after), at };
  } finally {
    await clone.dispose();
  }
}
