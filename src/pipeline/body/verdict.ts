import { code, formatCpu, formatMemory, parseQuantity, safeMarkdown, workloadKey } from "../../domain/index.js";
import { describeMonthlyCost, type ContainerDecision, type DecisionRecord } from "../../recommend/index.js";
import type { MergedStep } from "../lifecycle/steps.js";

/** The body's first lines (SPEC §8): the one-line verdict, the step before this one, and what needs attention. */

function workloadLabel(record: DecisionRecord): string {
  return `${record.workload.kind} ${code(`${record.workload.namespace}/${record.workload.name}`)} (cluster ${code(record.workload.cluster)})`;
}

export function renderVerdict(records: readonly DecisionRecord[], labels: { safety: string; confidence: string }): string {
  const [first] = records;
  if (!first) return "**rightsize has nothing to propose.**";
  if (records.length === 1) {
    const totals = perPodTotals(first.containers.filter((container) => container.action === "change"));
    return `**rightsize proposes new requests for ${workloadLabel(first)}**: ${totals}${monthly(records)}; safety ${first.decision.safety}, confidence ${first.decision.confidence}.`;
  }
  const names = records.map((record) => code(`${record.workload.kind}/${record.workload.name}`)).join(", ");
  return `**rightsize proposes new requests for ${records.length} workloads in ${code(first.workload.namespace)} (cluster ${code(first.workload.cluster)})**: ${names}${monthly(records)}; worst safety ${labels.safety}, lowest confidence ${labels.confidence}.`;
}

/**
 * SPEC §11: the proposal's monthly cost change, priced with the policy's `cost` section, over
 * the pods observed (`, saving 19.63 USD a month (3 pods)`); empty for records without cost.
 */
function monthly(records: readonly DecisionRecord[]): string {
  const priced = records.filter((record) => record.cost !== undefined);
  if (priced.length === 0) return "";
  const currency = priced[0]!.cost!.currency;
  const total = priced.reduce((sum, record) => sum + record.cost!.monthly.total, 0);
  const amount = describeMonthlyCost(Math.abs(total), currency).replace(/^[+−]/, "");
  const over = priced.length === 1 ? ` (${podCount(priced[0]!.cost!.replicas)})` : " in total";
  if (Math.round(total * 100) === 0) return `, about the same cost a month${over}`;
  return total < 0 ? `, saving ${amount} a month${over}` : `, costing ${amount} more a month${over}`;
}

function podCount(replicas: number): string {
  return Number.isInteger(replicas) ? `${replicas} pod${replicas === 1 ? "" : "s"}` : `${replicas} pods on average`;
}

/** SPEC §5 direction-aware gates: increases proposed past an UNSAFE rating or low confidence say so under the verdict. */
export function renderAttention(records: readonly DecisionRecord[]): string {
  const lines = records.flatMap((record) => (record.decision.attention ?? []).map((line) => `> **Needs attention** (${code(`${record.workload.kind}/${record.workload.name}`)}): ${safeMarkdown(line.replace(/^([^:]+): needs attention: /, "$1: "))}`));
  return lines.join("\n>\n");
}

function perPodTotals(containers: readonly ContainerDecision[]): string {
  const changes = (["cpu", "memory"] as const).flatMap((resource) => {
    let delta = 0n;
    for (const container of containers) {
      const from = container.current.requests[resource];
      const to = container.recommended.requests[resource];
      if (from !== undefined && to !== undefined) delta += parseQuantity(to).nanos - parseQuantity(from).nanos;
    }
    if (delta === 0n) return [];
    const amount = { nanos: delta < 0n ? -delta : delta };
    const verb = delta < 0n ? "frees" : "adds";
    return [{ verb, text: `${resource === "cpu" ? formatCpu(amount) : formatMemory(amount)} ${resource === "cpu" ? "CPU" : "memory"}` }];
  });
  if (changes.length === 0) return "limits only";
  const [first, second] = changes;
  if (!second) return `${first!.verb} ${first!.text} per pod`;
  return first!.verb === second.verb ? `${first!.verb} ${first!.text} and ${second.text} per pod` : `${first!.verb} ${first!.text} and ${second.verb} ${second.text} per pod`;
}

/**
 * SPEC §8, steps not stacks: the proposal names the step before it, when it was merged, and the
 * check after merge's verdict, so a reviewer sees the cuts as a series.
 */
export function renderPreviousSteps(records: readonly DecisionRecord[], previous: readonly MergedStep[]): string {
  return previous
    .map((step) => {
      const record = records.find((candidate) => workloadKey(candidate.workload) === step.key);
      const what = step.number !== undefined ? `#${step.number}` : `commit ${step.commit?.slice(0, 12) ?? "?"}`;
      const checked = step.verdict ? `checked after merge: **${step.verdict}**` : step.rolledOutAt ? `live since ${step.rolledOutAt.slice(0, 16)}Z, not checked yet` : "not seen running yet";
      const name = record ? code(`${record.workload.namespace}/${record.workload.name}`) : code(step.key);
      return `Previous step for ${name}: ${what}, merged ${step.mergedAt.slice(0, 10)}; ${checked}.`;
    })
    .join("\n");
}
