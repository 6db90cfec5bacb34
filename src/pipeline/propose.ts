import { mkdir } from "node:fs/promises";
import path from "node:path";
import { percentChange, parseQuantity, workloadKey, writeFileAtomically, type WorkloadRef } from "../domain/index.js";
import { planWorkloadEdit, type RepoFile } from "../manifests/index.js";
import type { Policy } from "../policy/index.js";
import type { DecisionRecord } from "../recommend/index.js";
import { decisionRecordPath, namespaceBranch, proposalBranch, pullRequestBodyPath } from "./branches.js";
import type { GitHubPublisher } from "./github.js";
import { changesOf, type Plan, type PlannedWorkload } from "./plan.js";
import { renderPullRequest, type RenderedPullRequest } from "./pull-request.js";
import type { ProposalState } from "./state-marker.js";
import { DECISION_TRAILER, type FileContent, type GitWorkspace } from "./workspace.js";

export type ProposalStatus = "created" | "updated" | "unchanged" | "foreign" | "declined" | "rate-limited" | "refused";

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
}

export interface ProposeInput {
  plan: Plan;
  policy: Policy;
  workspace: GitWorkspace;
  /** The commit proposals start from and the files it holds. */
  base: { branch: string; commit: string; files: RepoFile[] };
  /** Absent: branches stay local and PR bodies go to `.rightsize/out/`. */
  github?: GitHubPublisher;
}

interface ProposalGroup {
  branch: string;
  workloads: PlannedWorkload[];
}

/** SPEC §8: one branch and one commit per proposal (per workload, or per namespace by policy). */
export async function proposeChanges(input: ProposeInput): Promise<ProposalResult[]> {
  if (input.plan.proposalsPaused) return [];
  const results: ProposalResult[] = [];
  for (const group of groupProposals(input.plan, input.policy)) {
    results.push(await proposeGroup(input, group));
  }
  return results;
}

function groupProposals(plan: Plan, policy: Policy): ProposalGroup[] {
  const proposing = plan.workloads.filter((workload) => workload.record.decision.action === "propose" && workload.edits.length > 0);
  if (policy.pullRequests.grouping === "workload") return proposing.map((workload) => ({ branch: proposalBranch(workload.ref), workloads: [workload] }));
  const groups = new Map<string, ProposalGroup>();
  for (const workload of proposing) {
    const branch = namespaceBranch(workload.ref.cluster, workload.ref.namespace);
    const group = groups.get(branch) ?? { branch, workloads: [] };
    group.workloads.push(workload);
    groups.set(branch, group);
  }
  return [...groups.values()];
}

async function proposeGroup(input: ProposeInput, group: ProposalGroup): Promise<ProposalResult> {
  const records = group.workloads.map((workload) => workload.record);
  const files = groupFiles(input.base.files, group);
  const workloads = group.workloads.map((workload) => workload.ref);
  const rendered = renderPullRequest({
    records,
    branch: group.branch,
    policy: input.policy,
    observations: group.workloads.map((workload) => workload.observation),
    files: [...new Set(group.workloads.flatMap((workload) => workload.edits.map((edit) => edit.path)))],
  });
  const result: ProposalResult = { branch: group.branch, workloads, status: "refused", title: rendered.title, files: [] };
  if (!files.ok) return { ...result, reason: files.reason };
  const content = [...files.contents, ...(input.policy.pullRequests.commitDecisionRecords ? decisionFiles(records) : [])];
  result.files = content.map((file) => file.path);

  if (input.github) {
    const gate = await input.github.gate(group.branch, rendered.state, input.policy);
    if (gate) return { ...result, status: gate.status, reason: gate.reason, ...(gate.pullRequestUrl ? { pullRequestUrl: gate.pullRequestUrl } : {}) };
  }
  const outcome = await input.workspace.writeProposal({
    branch: group.branch,
    base: input.base.commit,
    files: content,
    message: commitMessage(rendered, records),
  });
  if (outcome.status === "foreign") return { ...result, status: "foreign", reason: outcome.reason, commit: outcome.commit };
  const written: ProposalResult = { ...result, status: outcome.status, commit: outcome.commit };
  if (input.github) {
    const published = await input.github.publish({ branch: group.branch, base: input.base.branch, commit: outcome.commit, rendered, policy: input.policy });
    return { ...written, ...published };
  }
  const bodyPath = pullRequestBodyPath(group.branch);
  const bodyFile = path.join(input.workspace.dir, bodyPath);
  await mkdir(path.dirname(bodyFile), { recursive: true });
  await writeFileAtomically(bodyFile, rendered.body, "the pull request body");
  return { ...written, bodyPath };
}

/**
 * The edited files of a group. Workloads of one namespace may share a file, so each workload's
 * edit is planned on the text the previous edits produced.
 */
function groupFiles(baseFiles: RepoFile[], group: ProposalGroup): { ok: true; contents: FileContent[] } | { ok: false; reason: string } {
  if (group.workloads.length === 1) {
    return { ok: true, contents: group.workloads[0]!.edits.map((edit) => ({ path: edit.path, content: edit.after })) };
  }
  const current = new Map(baseFiles.map((file) => [file.path, file.text]));
  const changed = new Set<string>();
  for (const workload of group.workloads) {
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

/**
 * SPEC §8: closing a PR unmerged means "not this value". A new proposal is declined while every
 * value stays within `minChangePercent` of the declined one.
 */
export function isWithinDeclined(declined: ProposalState, proposed: ProposalState, minChangePercent: number): boolean {
  return proposed.workloads.every((workload) => {
    const previous = declined.workloads.find((candidate) => candidate.key === workload.key);
    if (!previous) return false;
    return Object.entries(workload.containers).every(([container, values]) =>
      (["cpu", "memory"] as const).every((resource) => {
        const before = previous.containers[container]?.[resource];
        const now = values[resource];
        if (before === undefined || now === undefined) return before === now;
        return Math.abs(percentChange(parseQuantity(before), parseQuantity(now))) < minChangePercent;
      }),
    );
  });
}
