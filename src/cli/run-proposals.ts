import { readFile } from "node:fs/promises";
import path from "node:path";
import { Octokit } from "@octokit/rest";
import { DEFAULT_POLICY_PATH, formatPolicyProblem, type LoadedPolicy } from "../policy/index.js";
import { UsageError, type ObservationSnapshot } from "../domain/index.js";
import type { RepoFile } from "../manifests/index.js";
import {
  GitPushPublisher,
  GitWorkspace,
  LocalPublisher,
  loadPolicyFromFiles,
  openLocalCheckout,
  proposeForRepository,
  mergedProposalsInHistory,
  repositoryFromRemoteUrl,
  stepsFromHistory,
  tokenLogin,
  type ObservationScope,
  type ObservedInputs,
  type RepositoryRun,
  type WorkloadSelection,
} from "../pipeline/index.js";
import { loadPolicyWithWarnings, parseAtOption, readSnapshotFile } from "./inputs.js";
import { printNotice, printProgress } from "./output.js";
import { policyForCluster } from "./selection.js";

export interface GitHubOptions {
  token: string;
  remote: string;
  repository?: string;
  apiUrl?: string;
}

export interface ProposeOptions {
  repoDir: string;
  /** `--policy FILE`; default: `.github/rightsize.yml` of the commit proposals start from. */
  policyFile?: string;
  /** `--snapshot FILE`, or a snapshot already read (demo); default: observe live. */
  snapshot?: string | ObservationSnapshot;
  at?: string;
  /** The workloads to propose for (default: every one). */
  selection?: WorkloadSelection;
}

/** `propose` and `demo`: the pipeline's proposeForRepository with the CLI's ports. */
export async function runProposals(options: ProposeOptions, github?: GitHubOptions): Promise<RepositoryRun> {
  const workspace = new GitWorkspace(options.repoDir);
  const auth = github ? { token: github.token } : undefined;
  const checkout = await openLocalCheckout(workspace, github ? { name: github.remote, ...(auth ? { auth } : {}) } : undefined);
  const publisher = github
    ? new GitPushPublisher(gitHubClient(github), await gitHubRepository(workspace, github), workspace, github.remote, checkout.base.commit, auth)
    : new LocalPublisher(workspace, checkout.base.commit);
  return proposeForRepository({
    checkout,
    publisher,
    ...(options.selection ? { selection: options.selection } : {}),
    policy: async (files) => {
      if (options.policyFile) return loadPolicyWithWarnings(options.policyFile);
      await noticeUncommittedPolicy(options.repoDir, files, checkout.base);
      return printWarnings(await loadPolicyFromFiles(files));
    },
    observe: (loaded, scope) => observe(options, loaded, scope),
    // Steps, not stacks (SPEC §8): the last merged step of each workload, from the branch's history.
    steps: async () => stepsFromHistory(await mergedProposalsInHistory(options.repoDir, checkout.base.commit)),
  });
}

/**
 * Proposals read the policy of the commit they start from, never the working tree: a policy file
 * edited or added but not committed there would silently not count, so say so and how to use it.
 */
async function noticeUncommittedPolicy(repoDir: string, files: readonly RepoFile[], base: { branch: string; commit: string }): Promise<void> {
  const onDisk = await readFile(path.join(repoDir, DEFAULT_POLICY_PATH), "utf8").catch(() => undefined);
  const committed = files.find((file) => file.path === DEFAULT_POLICY_PATH)?.text;
  if (onDisk === undefined || onDisk === committed) return;
  const where = `${base.branch} (${base.commit.slice(0, 12)})`;
  const use = `pass --policy ${DEFAULT_POLICY_PATH} to use the file as it is on disk`;
  printNotice(
    committed === undefined
      ? `${DEFAULT_POLICY_PATH} is not committed on ${where}: proposals use the default policy; commit it, or ${use}`
      : `${DEFAULT_POLICY_PATH} has changes not committed on ${where}: proposals use the committed version; commit them, or ${use}`,
  );
}

/** A snapshot replayed, or the policy's clusters observed now (SPEC §4), narrowed to the scope's cluster and namespaces. */
export async function observe(options: Pick<ProposeOptions, "snapshot" | "at">, loaded: LoadedPolicy, scope: ObservationScope = {}): Promise<ObservedInputs> {
  const at = parseAtOption(options.at);
  if (options.snapshot !== undefined) {
    const snapshot = typeof options.snapshot === "string" ? await readSnapshotFile(options.snapshot) : options.snapshot;
    return { snapshot, at: at ?? snapshot.createdAt };
  }
  const now = at ?? new Date().toISOString();
  const observed = policyForCluster(loaded, scope.cluster);
  // Imported here: the Kubernetes client takes a second to load and replays never need it.
  const { observeForPolicy } = await import("../observe/index.js");
  const snapshot = await observeForPolicy(observed.policy, {
    at: now,
    ...(scope.namespaces ? { namespaces: scope.namespaces } : {}),
    onProgress: printProgress,
  });
  return { snapshot, at: now };
}

function printWarnings(loaded: LoadedPolicy): LoadedPolicy {
  for (const warning of loaded.warnings) printNotice(`${formatPolicyProblem(warning)}`);
  return loaded;
}

async function gitHubRepository(workspace: GitWorkspace, github: GitHubOptions): Promise<{ owner: string; repo: string; botLogin: string | undefined }> {
  const repository = github.repository ? parseRepository(github.repository) : repositoryFromRemoteUrl(await workspace.remoteUrl(github.remote));
  if (!repository) {
    throw new UsageError(`cannot tell the GitHub repository from the URL of remote ${github.remote}; pass --github-repo OWNER/NAME`);
  }
  return { ...repository, botLogin: await tokenLogin(gitHubClient(github)) };
}

export function gitHubClient(github: { token: string; apiUrl?: string }): Octokit {
  return new Octokit({ auth: github.token, baseUrl: apiUrl(github.apiUrl), userAgent: "rightsize" });
}

export function parseRepository(text: string): { owner: string; repo: string } {
  const [owner, repo, ...rest] = text.split("/");
  if (!owner || !repo || rest.length > 0) throw new UsageError(`expected a repository as OWNER/NAME, got "${text}"`);
  return { owner, repo };
}

/** GitHub Enterprise Server works as Probot supports it: GHE_HOST and GHE_PROTOCOL (SPEC §10). */
function apiUrl(explicit: string | undefined): string {
  if (explicit) return explicit;
  if (process.env.GITHUB_API_URL) return process.env.GITHUB_API_URL;
  if (process.env.GHE_HOST) return `${process.env.GHE_PROTOCOL ?? "https"}://${process.env.GHE_HOST}/api/v3`;
  return "https://api.github.com";
}
