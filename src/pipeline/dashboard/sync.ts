import { workloadKey } from "../../domain/index.js";
import type { DecisionRecord } from "../../recommend/index.js";
import { isProposalBranch } from "../propose/branches.js";
import { MARKERS } from "../lifecycle/markers.js";
import { DASHBOARD_TITLE, hasUnknownEvidence, renderDashboard, type DashboardInput } from "./render.js";
import { callGitHub, writtenByRightsize, type GitHubClient, type GitHubRepository } from "../github/client.js";
import { upsertIssue } from "../github/upsert.js";
import type { RepositoryRun } from "../propose/repository.js";
import { proposalStateOf } from "../lifecycle/state.js";
import { listOpenPullRequests, type OpenPullRequest } from "../github/pulls.js";

/**
 * Creates the dashboard issue on the first scan and edits it in place after each one, never
 * duplicated (found by its marker); a scan that changes nothing writes nothing.
 */
export async function syncDashboard(
  octokit: GitHubClient,
  repository: GitHubRepository,
  run: RepositoryRun,
  extras: Pick<DashboardInput, "verdicts"> & {
    mergedRecords?: readonly DecisionRecord[];
    /** The scan's marker (`scan/rescan.ts`), from the open pull requests as listed here. */
    scan?: (open: readonly OpenPullRequest[]) => string;
  } = {},
): Promise<{ number: number; status: "created" | "updated" | "unchanged" } | undefined> {
  if (!run.loaded.policy.pullRequests.dashboard || run.loaded.policy.mode === "disabled") return undefined;
  const open = await listOpenPullRequests(octokit, repository);
  const scan = extras.scan?.(open);
  const openProposals: DashboardInput["openProposals"][number][] = [];
  const ignored: Record<string, string[]> = {};
  for (const pull of open) {
    const state = proposalStateOf(repository, pull);
    if (!state || !isProposalBranch(pull.head.ref) || state.workloads.length === 0) continue;
    openProposals.push({ number: pull.number, title: pull.title, keys: state.workloads.map((workload) => workload.key) });
    for (const [key, containers] of Object.entries(state.ignored ?? {})) ignored[key] = containers;
  }
  const savings = savingsOf(run, openProposals, extras.mergedRecords ?? []);
  const doctorUrl = hasUnknownEvidence(run.plan.workloads) ? await lastDoctorReply(octokit, repository) : undefined;
  const body = renderDashboard({
    base: run.base,
    workloads: run.plan.workloads,
    results: run.results,
    openProposals,
    ignored,
    ...(extras.verdicts ? { verdicts: extras.verdicts } : {}),
    ...(savings ? { savings } : {}),
    ...(doctorUrl ? { doctorUrl } : {}),
    ...(scan ? { scanMarker: scan } : {}),
  });
  return upsertIssue(octokit, repository, { marker: MARKERS.dashboard, title: DASHBOARD_TITLE, body, labels: ["rightsize"] });
}

/** The newest `/rightsize doctor` reply rightsize wrote in the repository (read only when evidence is unknown). */
async function lastDoctorReply(octokit: GitHubClient, repository: GitHubRepository): Promise<string | undefined> {
  const { owner, repo } = repository;
  const { data } = await callGitHub(repository, "list recent comments", () => octokit.rest.issues.listCommentsForRepo({ owner, repo, sort: "created", direction: "desc", per_page: 100 }));
  return data.find((comment) => writtenByRightsize(repository, comment.user) && (comment.body ?? "").includes(MARKERS.doctor))?.html_url;
}

/**
 * The monthly cost the open proposals would save (their current records) and the merged ones
 * have saved (the records they merged), in the policy's currency (SPEC §11).
 */
export function savingsOf(run: RepositoryRun, openProposals: readonly { keys: string[] }[], mergedRecords: readonly DecisionRecord[]): DashboardInput["savings"] {
  const open = new Set(openProposals.flatMap((pull) => pull.keys));
  const saved = (records: readonly DecisionRecord[]) => records.reduce((sum, record) => sum - (record.cost?.monthly.total ?? 0), 0);
  const openRecords = run.plan.workloads.filter((workload) => open.has(workloadKey(workload.ref))).map((workload) => workload.record);
  if (openRecords.length === 0 && mergedRecords.length === 0) return undefined;
  return { currency: run.loaded.policy.cost.currency, open: round(saved(openRecords)), merged: round(saved(mergedRecords)) };
}

function round(amount: number): number {
  return Math.round(amount * 100) / 100;
}
