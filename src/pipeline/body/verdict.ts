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
    const changed = first.containers.filter((container) => container.action === "change");
    const init = changed.filter((container) => isRegularInit(first, container));
    const running = changed.filter((container) => !init.includes(container));
    const what = running.length > 0 ? perPodTotals(running) : `changes only ${initNames(init)}`;
    const initNote = init.length === 0 ? "" : `; ${running.length > 0 ? `${initNames(init)} ${init.length === 1 ? "changes" : "change"} too (` : "("}${INIT_COST})`;
    return `**rightsize proposes new requests for ${workloadLabel(first)}**: ${what}${monthly(records)}${initNote}; safety ${first.decision.safety}, confidence ${first.decision.confidence}.`;
  }
  const names = records.map((record) => code(`${record.workload.kind}/${record.workload.name}`)).join(", ");
  return `**rightsize proposes new requests for ${records.length} workloads in ${code(first.workload.namespace)} (cluster ${code(first.workload.cluster)})**: ${names}${monthly(records)}; worst safety ${labels.safety}, lowest confidence ${labels.confidence}.`;
}

const INIT_COST = "a regular init container runs to completion before the pod's containers start, so its requests cost nothing while the pod runs";

function initNames(containers: readonly ContainerDecision[]): string {
  return `the init container${containers.length === 1 ? "" : "s"} ${containers.map((container) => code(container.name)).join(", ")}`;
}

/**
 * A regular init container (not a restartable sidecar): the engine prices every proposed change
 * of a workload (SPEC §11) except those, which hold nothing while the pod runs, so a changed
 * container without a price in a priced record is one.
 */
export function isRegularInit(record: DecisionRecord, container: ContainerDecision): boolean {
  return record.cost !== undefined && container.action === "change" && container.cost === undefined;
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

/**
 * What the change does to each pod's requests, summed over the containers that run with the pod.
 * A container without a request runs with its limit's value (Kubernetes defaults the request to
 * the limit), and with neither requests nothing: the change counts from there, as its cost does.
 */
function perPodTotals(containers: readonly ContainerDecision[]): string {
  let requestsChange = false;
  const changes = (["cpu", "memory"] as const).flatMap((resource) => {
    let delta = 0n;
    for (const container of containers) {
      const to = container.recommended.requests[resource];
      if (to === undefined) continue;
      const from = container.current.requests[resource] ?? container.current.limits[resource];
      if (from !== to) requestsChange = true;
      delta += parseQuantity(to).nanos - (from === undefined ? 0n : parseQuantity(from).nanos);
    }
    if (delta === 0n) return [];
    const amount = { nanos: delta < 0n ? -delta : delta };
    const verb = delta < 0n ? "frees" : "adds";
    return [{ verb, text: `${resource === "cpu" ? formatCpu(amount) : formatMemory(amount)} ${resource === "cpu" ? "CPU" : "memory"}` }];
  });
  const unset = containers.some((container) => (["cpu", "memory"] as const).some((resource) => container.recommended.requests[resource] !== undefined && container.current.requests[resource] === undefined && container.current.limits[resource] === undefined));
  const where = unset ? " (counted from zero where no request was set)" : "";
  if (changes.length === 0) return requestsChange ? "moves requests between containers, the same per pod in total" : "limits only";
  const [first, second] = changes;
  if (!second) return `${first!.verb} ${first!.text} per pod${where}`;
  return first!.verb === second.verb ? `${first!.verb} ${first!.text} and ${second.text} per pod${where}` : `${first!.verb} ${first!.text} and ${second.verb} ${second.text} per pod${where}`;
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
