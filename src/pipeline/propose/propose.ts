import { workloadKey, type WorkloadRef } from "../../domain/index.js";
import { planWorkloadEdit, type RepoFile } from "../../manifests/index.js";
import type { Policy } from "../../policy/index.js";
import type { DecisionRecord } from "../../recommend/index.js";
import { decisionRecordPath, namespaceBranch, proposalBranch } from "./branches.js";
import { declineMatching, gateProposal } from "./gate.js";
import { changesOf, replanWorkload, type Plan, type PlanInput, type PlannedWorkload } from "../plan/plan.js";
import type { ProposalPublisher } from "../publish/types.js";
import { renderPullRequest, type RenderedPullRequest } from "../body/pull-request.js";
import type { ProposalState } from "../lifecycle/state.js";
import { DECISION_TRAILER, type FileContent } from "../checkout/workspace.js";

export type ProposalStatus =
  | "created"
  | "updated"
  | "unchanged"
  | "foreign"
  | "declined"
  | "rate-limited"
  | "refused"
  | "ignored"
  | "failed";

export interface ProposalResult {
  branch: string;
  workloads: WorkloadRef[];
  status: ProposalStatus;
  title: string;
  /** Files the commit changes, decision records included. */
  files: string[];
  reason?: string;
  commit?: string;
  /** `--local`: where the PR body was written (relative to the repo). */
  bodyPath?: string;
  pullRequestUrl?: string;
  pullRequestNumber?: number;
  /** A declined proposal this one overrides (an explicit request for the workload, SPEC §8). */
  overrides?: { number: number; url: string };
}

export interface ProposeInput {
  plan: Plan;
  /** What the plan was made from: ignored containers are planned again from it. */
  planInput: PlanInput;
  /** The commit proposals start from and the files it holds. */
  base: { branch: string; commit: string; files: RepoFile[] };
  publisher: ProposalPublisher;
  /** Only these workloads are proposed (a `/rightsize TARGET` command); default all. */
  selected?: (workload: PlannedWorkload) => boolean;
  /**
   * Rewrite open proposals even when their values are unchanged (`/rightsize refresh`, `rebase`).
   * Otherwise an open pull request proposing the same values is left as it is, so a scan that
   * only observed again does not push a new commit every time.
   */
  force?: boolean;
  /** An explicit request: a declined proposal is proposed again (SPEC §8). */
  overrideDeclines?: boolean;
  /** Asked before a new pull request is opened: undefined to go ahead, else why not now. */
  mayOpen?(): Promise<string | undefined>;
}

interface ProposalGroup {
  branch: string;
  workloads: PlannedWorkload[];
}

/**
 * SPEC §8: one branch and one commit per proposal (per workload, or per namespace by policy).
 * Each proposal stands alone: one that fails is reported as failed and the others still go out.
 */
export async function proposeChanges(input: ProposeInput): Promise<ProposalResult[]> {
  if (input.plan.proposalsPaused) return [];
  const results: ProposalResult[] = [];
  for (const group of groupProposals(input.plan, input.planInput.loaded.policy, input.selected)) {
    try {
      results.push(await proposeGroup(input, group));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      results.push({ branch: group.branch, workloads: group.workloads.map((workload) => workload.ref), status: "failed", title: "", files: [], reason });
    }
  }
  return results;
}

/** The branch a workload's proposal lives on, by the policy's grouping. */
export function branchOf(ref: WorkloadRef, policy: Policy): string {
  return policy.pullRequests.grouping === "workload" ? proposalBranch(ref) : namespaceBranch(ref.cluster, ref.namespace);
}

function groupProposals(plan: Plan, policy: Policy, selected: ProposeInput["selected"]): ProposalGroup[] {
  const groups = new Map<string, ProposalGroup>();
  for (const workload of plan.workloads) {
    if (workload.record.decision.action !== "propose" || workload.edits.length === 0) continue;
    if (selected && !selected(workload)) continue;
    const branch = branchOf(workload.ref, policy);
    const group = groups.get(branch) ?? { branch, workloads: [] };
    group.workloads.push(workload);
    groups.set(branch, group);
  }
  return [...groups.values()];
}

async function proposeGroup(input: ProposeInput, group: ProposalGroup): Promise<ProposalResult> {
  const { policy } = input.planInput.loaded;
  const state = await input.publisher.inspect(group.branch);
  const ignored = state.lastState?.ignored ?? {};
  const workloads = withoutIgnored(input.planInput, group.workloads, ignored);
  const refs = group.workloads.map((workload) => workload.ref);
  if (workloads.length === 0) {
    return { branch: group.branch, workloads: refs, status: "ignored", title: "", files: [], reason: "every proposed container is ignored (/rightsize ignore); /rightsize unignore brings it back" };
  }
  const records = workloads.map((workload) => workload.record);
  const editedFiles = [...new Set(workloads.flatMap((workload) => workload.edits.map((edit) => edit.path)))];
  const files = groupFiles(input.base.files, workloads);
  const content = files.ok ? [...files.contents, ...(policy.pullRequests.commitDecisionRecords ? decisionFiles(records) : [])] : [];
  const rendered = renderPullRequest({
    records,
    branch: group.branch,
    policy,
    observations: workloads.map((workload) => workload.observation),
    files: editedFiles,
    previous: workloads.flatMap((workload) => (workload.previous ? [workload.previous] : [])),
    base: { commit: input.base.commit, files: content.map((file) => file.path) },
    ...(Object.keys(ignored).length > 0 ? { ignored } : {}),
  });
  const result: ProposalResult = { branch: group.branch, workloads: workloads.map((workload) => workload.ref), status: "refused", title: rendered.title, files: [] };
  if (!files.ok) return { ...result, reason: files.reason };
  result.files = content.map((file) => file.path);

  const gate = gateProposal(state, rendered.state, policy, { overrideDeclines: input.overrideDeclines ?? false });
  if (gate) {
    if (gate.status === "foreign") await input.publisher.reportForeign(state, gate.reason);
    return { ...result, status: gate.status, reason: gate.reason, ...(gate.pullRequestUrl ? { pullRequestUrl: gate.pullRequestUrl } : {}) };
  }
  if (!input.force && state.pullRequest && state.lastState && proposesSameValues(state.lastState, rendered.state)) {
    return { ...result, status: "unchanged", pullRequestUrl: state.pullRequest.url, pullRequestNumber: state.pullRequest.number };
  }
  if (!state.pullRequest && input.mayOpen) {
    // The installation's pull requests per hour (SPEC §10): this one waits, and the reason says until when.
    const refused = await input.mayOpen();
    if (refused) return { ...result, status: "rate-limited", reason: refused };
  }
  const published = await input.publisher.publish(
    { branch: group.branch, base: { branch: input.base.branch, commit: input.base.commit }, files: content, message: commitMessage(rendered, records), rendered, policy },
    state,
  );
  if (published.status === "foreign") {
    await input.publisher.reportForeign(state, published.reason);
    return { ...result, status: "foreign", reason: published.reason, ...(state.pullRequest ? { pullRequestUrl: state.pullRequest.url } : {}) };
  }
  // The reply names the decline this proposal overrides: one whose values it stays within (else nothing was overridden).
  const overridden = input.overrideDeclines && !state.pullRequest ? declineMatching(state, rendered.state, policy.recommend.minChangePercent) : undefined;
  const overrides = overridden ? { overrides: { number: overridden.number, url: overridden.url } } : {};
  return { ...result, ...published, ...overrides };
}

/** The same workloads, containers and requests (the ignore list included): nothing new to say. */
function proposesSameValues(previous: ProposalState, proposed: ProposalState): boolean {
  const values = (state: ProposalState) =>
    JSON.stringify([
      [...state.workloads].sort((a, b) => a.key.localeCompare(b.key)).map((workload) => [workload.key, Object.entries(workload.containers).sort(([a], [b]) => a.localeCompare(b))]),
      Object.entries(state.ignored ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    ]);
  return values(previous) === values(proposed);
}

/**
 * `/rightsize ignore` (SPEC §9): an ignored container is left out of the recommendation, so
 * the workload is planned again without it; a workload ignored as a whole (`*`) drops out.
 */
function withoutIgnored(planInput: PlanInput, workloads: PlannedWorkload[], ignored: Record<string, string[]>): PlannedWorkload[] {
  return workloads.flatMap((workload) => {
    const containers = ignored[workloadKey(workload.ref)];
    if (!containers || containers.length === 0) return [workload];
    if (containers.includes("*")) return [];
    const replanned = replanWorkload(planInput, workload, containers);
    return replanned.record.decision.action === "propose" && replanned.edits.length > 0 ? [replanned] : [];
  });
}

/**
 * The edited files of a group. Workloads of one namespace may share a file, so each workload's
 * edit is planned on the text the previous edits produced.
 */
function groupFiles(baseFiles: RepoFile[], workloads: PlannedWorkload[]): { ok: true; contents: FileContent[] } | { ok: false; reason: string } {
  if (workloads.length === 1) {
    return { ok: true, contents: workloads[0]!.edits.map((edit) => ({ path: edit.path, content: edit.after })) };
  }
  const current = new Map(baseFiles.map((file) => [file.path, file.text]));
  const changed = new Set<string>();
  for (const workload of workloads) {
    const outcome = planWorkloadEdit([...current].map(([file, text]) => ({ path: file, text })), workload.manifest, changesOf(workload.record));
    if (!outcome.ok) return { ok: false, reason: `${workloadKey(workload.ref)}: ${outcome.refusal.message}` };
    for (const edit of outcome.edits) {
      current.set(edit.path, edit.after);
      changed.add(edit.path);
    }
  }
  return { ok: true, contents: [...changed].map((file) => ({ path: file, content: current.get(file)! })) };
}

function decisionFiles(records: readonly DecisionRecord[]): FileContent[] {
  return records.map((record) => ({ path: decisionRecordPath(record.workload), content: `${JSON.stringify(record, null, 2)}\n` }));
}

function commitMessage(rendered: RenderedPullRequest, records: readonly DecisionRecord[]): string {
  const reasons = records.flatMap((record) => record.decision.reasons.map((reason) => `- ${record.workload.name}: ${reason}`));
  const trailers = records.map((record) => `${DECISION_TRAILER}: ${record.inputsDigest}`);
  return [rendered.title, reasons.join("\n"), trailers.join("\n")].filter(Boolean).join("\n\n");
}

