import { Octokit } from "@octokit/rest";
import { formatPolicyProblem, type LoadedPolicy } from "../policy/index.js";
import { UsageError, type ObservationSnapshot } from "../domain/index.js";
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
  type ObservedInputs,
  type RepositoryRun,
} from "../pipeline/index.js";
import { loadPolicyWithWarnings, parseAtOption, readSnapshotFile } from "./inputs.js";
import { printNotice } from "./output.js";

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
    policy: async (files) => (options.policyFile ? loadPolicyWithWarnings(options.policyFile) : printWarnings(await loadPolicyFromFiles(files))),
    observe: (loaded, scope) => observe(options, loaded, scope.namespaces),
    // Steps, not stacks (SPEC §8): the last merged step of each workload, from the branch's history.
    steps: async () => stepsFromHistory(await mergedProposalsInHistory(options.repoDir, checkout.base.commit)),
  });
}

/** A snapshot replayed, or the policy's clusters observed now (SPEC §4). */
export async function observe(options: Pick<ProposeOptions, "snapshot" | "at">, loaded: LoadedPolicy, namespaces?: string[]): Promise<ObservedInputs> {
  const at = parseAtOption(options.at);
  if (options.snapshot !== undefined) {
    const snapshot = typeof options.snapshot === "string" ? await readSnapshotFile(options.snapshot) : options.snapshot;
    return { snapshot, at: at ?? snapshot.createdAt };
  }
  const now = at ?? new Date().toISOString();
  // Imported here: the Kubernetes client takes a second to load and replays never need it.
  const { observeForPolicy } = await import("../observe/index.js");
  const snapshot = await observeForPolicy(loaded.policy, {
    at: now,
    ...(namespaces ? { namespaces } : {}),
    onProgress: (message) => printNotice(`${message}`),
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
