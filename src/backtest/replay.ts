import { parseQuantity, toNumber, workloadKey, type MeasuredUsage, type WorkloadObservation, type WorkloadRef } from "../domain/index.js";
import type { Policy } from "../policy/index.js";
import { HOURS_PER_MONTH, recommendWorkload, type ContainerDecision, type DecisionRecord, type PolicySourceRef, type ToolRef } from "../recommend/index.js";

/**
 * SPEC §11 `rightsize backtest`: recommend on the observed part of a window, then replay the
 * measured usage of the rest against the recommendation. Pure: observations, usage and policies
 * in, a report out.
 */

/** Measured usage of one container over the replayed part, one sample per step (null: none). */
export type ReplayUsage = MeasuredUsage;

function usageKey(workload: WorkloadRef, container: string): string {
  return `${workloadKey(workload)}/${container}`;
}

/** Requests and the memory limit a container runs with: cores and bytes. */
export interface ReplaySizing {
  cpu?: number;
  memory?: number;
  memoryLimit?: number;
}

export interface ReplayScore {
  cpuSamples: number;
  memorySamples: number;
  /** Samples whose usage was above the request. */
  cpuAbove: number;
  memoryAbove: number;
  /** Memory samples above the limit (OOM risk); 0 without a limit. */
  aboveLimit: number;
}

/** How often the replayed usage exceeded the sizing: a sample with no request set counts as above when usage is not zero. */
export function scoreReplay(sizing: ReplaySizing, usage: Pick<ReplayUsage, "cpu" | "memory">): ReplayScore {
  const score: ReplayScore = { cpuSamples: 0, memorySamples: 0, cpuAbove: 0, memoryAbove: 0, aboveLimit: 0 };
  const cpuRequest = sizing.cpu ?? 0;
  const memoryRequest = sizing.memory ?? 0;
  for (const value of usage.cpu) {
    if (value === null) continue;
    score.cpuSamples++;
    if (value > cpuRequest) score.cpuAbove++;
  }
  for (const value of usage.memory) {
    if (value === null) continue;
    score.memorySamples++;
    if (value > memoryRequest) score.memoryAbove++;
    if (sizing.memoryLimit !== undefined && value > sizing.memoryLimit) score.aboveLimit++;
  }
  return score;
}

export interface BacktestPolicy {
  policy: Policy;
  source: PolicySourceRef;
}

export interface BacktestInput {
  tool: ToolRef;
  /** The observed part, one observation per workload. */
  observations: readonly WorkloadObservation[];
  /** The replayed part, per container. */
  replay: readonly ReplayUsage[];
  policies: readonly BacktestPolicy[];
  window: { from: string; split: string; to: string };
}

export interface ContainerResult {
  name: string;
  current: ReplaySizing;
  /** What the container runs with if the proposal is merged (the current values when nothing is proposed). */
  recommended: ReplaySizing;
  action: ContainerDecision["action"];
  /** Saved by the whole workload (× replicas); negative: more is reserved. */
  cpuCoresSaved: number;
  memoryGiBSaved: number;
  monthlySaved: number;
  score: ReplayScore;
}

export interface Totals {
  cpuCoresSaved: number;
  memoryGiBSaved: number;
  monthlySaved: number;
  /** Shares (0–1) of the replayed samples above the new request; null without samples. */
  cpuAboveRequest: number | null;
  memoryAboveRequest: number | null;
  samplesAboveLimit: number;
  /** Containers with at least one sample above the new memory limit. */
  oomRiskContainers: number;
}

export interface WorkloadResult {
  workload: WorkloadRef;
  decision: DecisionRecord["decision"]["action"];
  replicas: number;
  containers: ContainerResult[];
  totals: Totals;
}

export interface PolicyResult {
  path: string;
  currency: string;
  workloads: WorkloadResult[];
  totals: Totals;
}

export interface BacktestReport {
  window: { from: string; split: string; to: string };
  policies: PolicyResult[];
}

const GIB = 1024 ** 3;

export function runBacktest(input: BacktestInput): BacktestReport {
  const usage = new Map(input.replay.map((entry) => [usageKey(entry.workload, entry.container), entry]));
  const policies = input.policies.map((candidate): PolicyResult => {
    const workloads = input.observations.map((observation) => {
      const record = recommendWorkload({ tool: input.tool, observation, policy: candidate.policy, policySource: candidate.source, at: input.window.split });
      return replayRecord(record, observation, usage, candidate.policy);
    });
    return { path: candidate.source.path, currency: candidate.policy.cost.currency, workloads, totals: sum(workloads.flatMap((workload) => workload.containers)) };
  });
  return { window: input.window, policies };
}

/** One workload's record against its replayed usage: what merging the proposal would have meant. */
function replayRecord(record: DecisionRecord, observation: WorkloadObservation, usage: ReadonlyMap<string, ReplayUsage>, policy: Policy): WorkloadResult {
  const replicas = record.cost?.replicas ?? observation.pods;
  const proposed = record.decision.action === "propose";
  const containers = record.containers.map((container): ContainerResult => {
    const current = sizingOf(container.current);
    const applied = proposed && container.action === "change";
    const recommended = applied ? sizingOf(container.recommended) : current;
    const cpuCoresSaved = ((current.cpu ?? 0) - (recommended.cpu ?? 0)) * replicas;
    const memoryGiBSaved = (((current.memory ?? 0) - (recommended.memory ?? 0)) / GIB) * replicas;
    const replayed = usage.get(usageKey(record.workload, container.name));
    return {
      name: container.name,
      current,
      recommended,
      action: applied ? "change" : container.action === "blocked" ? "blocked" : "none",
      cpuCoresSaved,
      memoryGiBSaved,
      monthlySaved: (cpuCoresSaved * policy.cost.cpuCoreHour + memoryGiBSaved * policy.cost.memoryGiBHour) * HOURS_PER_MONTH,
      score: replayed ? scoreReplay(recommended, replayed) : { cpuSamples: 0, memorySamples: 0, cpuAbove: 0, memoryAbove: 0, aboveLimit: 0 },
    };
  });
  return { workload: record.workload, decision: record.decision.action, replicas, containers, totals: sum(containers) };
}

/** Requests (or, where none is set, the limit Kubernetes uses in its place) and the memory limit, as numbers. */
export function sizingOf(resources: ContainerDecision["current"]): ReplaySizing {
  const number = (text: string | undefined) => (text === undefined ? undefined : toNumber(parseQuantity(text)));
  const sizing: ReplaySizing = {};
  const cpu = number(resources.requests.cpu ?? resources.limits.cpu);
  const memory = number(resources.requests.memory ?? resources.limits.memory);
  const memoryLimit = number(resources.limits.memory);
  if (cpu !== undefined) sizing.cpu = cpu;
  if (memory !== undefined) sizing.memory = memory;
  if (memoryLimit !== undefined) sizing.memoryLimit = memoryLimit;
  return sizing;
}

export function sum(containers: readonly ContainerResult[]): Totals {
  let cpuSamples = 0;
  let memorySamples = 0;
  let cpuAbove = 0;
  let memoryAbove = 0;
  const totals: Totals = { cpuCoresSaved: 0, memoryGiBSaved: 0, monthlySaved: 0, cpuAboveRequest: null, memoryAboveRequest: null, samplesAboveLimit: 0, oomRiskContainers: 0 };
  for (const container of containers) {
    totals.cpuCoresSaved += container.cpuCoresSaved;
    totals.memoryGiBSaved += container.memoryGiBSaved;
    totals.monthlySaved += container.monthlySaved;
    totals.samplesAboveLimit += container.score.aboveLimit;
    if (container.score.aboveLimit > 0) totals.oomRiskContainers++;
    cpuSamples += container.score.cpuSamples;
    memorySamples += container.score.memorySamples;
    cpuAbove += container.score.cpuAbove;
    memoryAbove += container.score.memoryAbove;
  }
  totals.cpuAboveRequest = cpuSamples > 0 ? cpuAbove / cpuSamples : null;
  totals.memoryAboveRequest = memorySamples > 0 ? memoryAbove / memorySamples : null;
  return totals;
}
