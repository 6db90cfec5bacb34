import { createHash } from "node:crypto";
import { workloadKey, type ObservationSnapshot } from "../../domain/index.js";
import { DEFAULT_POLICY_PATH, type LoadedPolicy } from "../../policy/index.js";
import { canonicalJson, recommendWorkload } from "../../recommend/index.js";
import { TOOL } from "../../version.js";
import { callGitHub, type GitHubClient, type GitHubRepositoryInfo } from "../github/client.js";
import { listOpenPullRequests, type OpenPullRequest } from "../github/pulls.js";
import { findOpenIssue } from "../github/upsert.js";
import { MARKERS, parseScanMarker } from "../lifecycle/markers.js";
import { proposalStateOf } from "../lifecycle/state.js";
import { readRawFile, readRepositoryPolicy } from "../policy/github.js";
import { isProposalBranch } from "../propose/branches.js";
import type { RepositoryPorts } from "../propose/repository.js";

/**
 * A rescan that costs almost nothing (SPEC §10): what a scheduled scan depends on, as one digest
 * the dashboard's marker keeps — the default branch's tip, the policy, what the clusters show
 * (as the decisions the engine takes from it), the open proposals, and rightsize's version. When
 * the next scan finds the same digest it has nothing to do: no clone, no write, four reads
 * (the tip, the dashboard, the policy, the open pull requests). A scan while a merged step is
 * still inside its fresh window (SPEC §8) always runs in full, since time alone changes it then.
 */
export interface ScanFingerprint {
  /** What the next scan compares. */
  digest: string;
  tip: string;
}

/** The digest of one scan's inputs; pure. */
export function scanFingerprint(input: { tip: string; loaded: LoadedPolicy; snapshot: ObservationSnapshot; open: readonly OpenPullRequest[]; repository: GitHubRepositoryInfo }): ScanFingerprint {
  const hash = createHash("sha256");
  const add = (value: unknown) => hash.update(canonicalJson(value)).update("\n");
  add({ tool: TOOL.version, tip: input.tip, policy: input.loaded.policy, source: input.loaded.source });
  // The engine's decisions from the observations alone (the cluster's values): the day's new
  // samples change the digest only when they change what rightsize would propose.
  for (const observation of [...input.snapshot.workloads].sort((a, b) => workloadKey(a.workload).localeCompare(workloadKey(b.workload)))) {
    const record = recommendWorkload({ tool: TOOL, observation, policy: input.loaded.policy, policySource: input.loaded.source, at: input.snapshot.createdAt });
    add([workloadKey(observation.workload), record.decision.action, record.containers.map((container) => [container.name, container.recommended])]);
  }
  for (const pull of [...input.open].sort((a, b) => a.number - b.number)) {
    if (!isProposalBranch(pull.head.ref) || !proposalStateOf(input.repository, pull)) continue;
    add([pull.number, pull.head.sha, createHash("sha256").update(pull.body ?? "").digest("hex")]);
  }
  return { digest: hash.digest("hex").slice(0, 32), tip: input.tip };
}

export type RescanCheck =
  | { unchanged: true; tip: string }
  | { unchanged: false; reason: string; observed?: { loaded: LoadedPolicy; result: Awaited<ReturnType<RepositoryPorts["observe"]>> } };

/**
 * Whether the repository is as the last scan left it, in four reads. What it observed is handed
 * to the full scan when not (so the clusters are asked once).
 */
export async function unchangedSinceLastScan(octokit: GitHubClient, repository: GitHubRepositoryInfo, observe: RepositoryPorts["observe"], policyText?: string): Promise<RescanCheck> {
  const { owner, repo, defaultBranch } = repository;
  const tip = (await callGitHub(repository, "read the default branch", () => octokit.rest.git.getRef({ owner, repo, ref: `heads/${defaultBranch}` }))).data.object.sha;
  const dashboard = await findOpenIssue(octokit, repository, MARKERS.dashboard, "rightsize");
  const last = dashboard ? parseScanMarker(dashboard.body) : undefined;
  if (!last) return { unchanged: false, reason: "no earlier scan recorded" };
  if (last.tip !== tip) return { unchanged: false, reason: "the default branch moved" };
  // The default branch's policy (read by the caller already, when it was): a push between the two reads costs one full scan.
  const loaded = await readRepositoryPolicy(octokit, repository, policyText ?? (await readRawFile(octokit, { owner, repo, path: DEFAULT_POLICY_PATH })));
  if (loaded.policy.mode === "disabled" || !loaded.policy.pullRequests.dashboard) return { unchanged: false, reason: "no dashboard to remember the scan in" };
  const result = await observe(loaded, {});
  const open = await listOpenPullRequests(octokit, repository);
  const now = scanFingerprint({ tip, loaded, snapshot: result.snapshot, open, repository });
  if (now.digest === last.digest && !last.stepsPending) return { unchanged: true, tip };
  return { unchanged: false, reason: last.stepsPending ? "a merged step is inside its fresh window" : "the observations, the policy or the open proposals changed", observed: { loaded, result } };
}
