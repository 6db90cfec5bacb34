import { WORKLOAD_EVIDENCE, type JobRun, type ObservationSnapshot, type WorkloadObservation } from "../domain/index.js";
import type { Policy } from "../policy/index.js";
import { CONTINUOUS_FORMULA, lowestConfidence, RUN_BASED_FORMULA } from "./confidence.js";
import { decideContainer, type ContainerOutcome, type WorkloadContext } from "./container.js";
import { hasGuaranteedShape, resolveCurrent, type WrittenResources } from "./current.js";
import { plural } from "./describe.js";
import { canonicalJson, canonicalJsonOnce, sha256Hex } from "./digest.js";
import { DECISION_RECORD_SCHEMA_VERSION, type DecisionRecord, type WorkloadDecision } from "./record.js";
import { worstSafety } from "./safety.js";
import { countRuns } from "./statistics.js";

export interface PolicySourceRef {
  path: string;
  apiVersion: string;
  sha256: string;
}

export interface ManifestRef {
  path: string;
  document: number;
  yamlPath?: (string | number)[];
  /** Container name → values as written in the manifest: the truth for "current" when given. */
  current?: Record<string, WrittenResources>;
  /** Why the manifest cannot be edited (SPEC §5: blocked, manifest not editable). */
  problems?: string[];
  /**
   * The regular init containers (SPEC §3; not the restartable sidecars): they run to completion
   * before the pod's containers start, so their requests cost nothing while the pod runs.
   */
  initContainers?: string[];
}

/** Who made the record (SPEC §6); an input, so the engine reads no file. */
export interface ToolRef {
  name: string;
  version: string;
}

export interface RecommendInput {
  tool: ToolRef;
  observation: WorkloadObservation;
  policy: Policy;
  /** For the record; path "(defaults)" when there is no policy file. */
  policySource: PolicySourceRef;
  /** ISO evaluation time: the record's createdAt. Never read from a clock. */
  at: string;
  manifest?: ManifestRef;
  /**
   * Why decreases must wait whatever the data say (SPEC §8: the last merged step is not live yet,
   * or has just rolled out); increases the data justify still go. A pure input, like the clock.
   */
  holdDecreases?: string;
  /**
   * Why memory may not be lowered whatever the data say (SPEC §8: an OOM kill inside the policy's
   * window happened before the data the decision is sized on, the fresh window since a rollout).
   */
  holdMemoryDecreases?: string;
}

const JOB_KINDS: ReadonlySet<string> = new Set(["Job", "CronJob"]);

const excluded = new WeakMap<Policy, ReadonlySet<string>>();

/** The policy's excluded container names, as a set made once per policy (it is not changed once loaded). */
function excludedBy(policy: Policy): ReadonlySet<string> {
  let names = excluded.get(policy);
  if (names === undefined) {
    names = new Set(policy.selector.containers.exclude);
    excluded.set(policy, names);
  }
  return names;
}
const SCALING_RESOURCES = new Set(["cpu", "memory"]);

/** SPEC §5 and §6: one workload's observation and the policy in, its decision record out. Pure and deterministic. */
export function recommendWorkload(input: RecommendInput): DecisionRecord {
  const { observation, policy } = input;
  const runs = observation.mode === "run-based" ? observation.runs ?? [] : undefined;
  const runCounts = runs ? countRuns(runs) : undefined;
  const isJob = JOB_KINDS.has(observation.workload.kind);

  const blocks = [
    ...observation.problems.map((problem) => `not observed: ${problem}`),
    ...(input.manifest?.problems ?? []).map((problem) => `manifest not editable: ${problem}`),
  ];
  if (runCounts && runCounts.failed * 2 > runCounts.observed) {
    blocks.push(`${runCounts.failed} of ${plural(runCounts.observed, "observed run")} failed (more than half); fix the failing runs before resizing`);
  }
  const gates: string[] = [];
  const dataGates: string[] = [];
  if (isJob && !policy.apply.jobs.enabled) gates.push("Job and CronJob proposals are turned off in the policy (apply.jobs.enabled: false)");
  if (runCounts) {
    const needed = Math.max(1, policy.apply.jobs.minRuns);
    if (runCounts.succeeded < needed) {
      dataGates.push(`waiting for data: ${plural(runCounts.succeeded, "successful run")} observed; the policy needs ${needed} (apply.jobs.minRuns)`);
    }
  }
  if (input.holdDecreases) dataGates.push(input.holdDecreases);
  const hpaMetrics = observation.hpa ? new Set(observation.hpa.metrics.filter((metric) => SCALING_RESOURCES.has(metric))) : undefined;
  const windowFrom = Date.parse(observation.window.from);
  const windowTo = Date.parse(observation.window.to);
  const context: WorkloadContext = {
    recommend: policy.recommend,
    apply: policy.apply,
    margins: isJob ? policy.recommend.jobMargins : policy.recommend.margins,
    windowSeconds: Math.max(0, (windowTo - windowFrom) / 1000),
    coverage: observation.coverage,
    windowEnd: windowTo / 1000,
    isJob,
    runs: runs && runCounts ? { all: runs, succeeded: runCounts.succeeded, failed: runCounts.failed } : undefined,
    hpa: hpaMetrics && hpaMetrics.size > 0 ? { name: observation.hpa?.name ?? "(unnamed)", metrics: hpaMetrics } : undefined,
    manifest: input.manifest,
    excludedContainers: excludedBy(policy),
    guaranteed: observation.containers.length > 0 && observation.containers.every((container) => hasGuaranteedShape(resolveCurrent(container, input.manifest))),
    blocks,
    observationFailed: observation.problems.length > 0,
    gates,
    dataGates,
    workloadUnknown: observation.unknown
      ? WORKLOAD_EVIDENCE.flatMap((evidence) => {
          const metric = observation.unknown?.[evidence];
          return metric ? [{ evidence, metric }] : [];
        })
      : [],
    // Always present (undefined when not held), so every context has one shape.
    memoryHold: input.holdMemoryDecreases ? input.holdMemoryDecreases : undefined,
  };
  const outcomes = observation.containers.map((container) => decideContainer(container, context));
  const cost = costOf(outcomes, observation, runs, policy.cost, Math.max(1, (windowTo - windowFrom) / 1000), input.manifest?.initContainers);

  return {
    schemaVersion: DECISION_RECORD_SCHEMA_VERSION,
    tool: { name: input.tool.name, version: input.tool.version },
    createdAt: input.at,
    policy: { path: input.policySource.path, apiVersion: input.policySource.apiVersion, sha256: input.policySource.sha256 },
    workload: {
      cluster: observation.workload.cluster,
      namespace: observation.workload.namespace,
      kind: observation.workload.kind,
      name: observation.workload.name,
      manifest: input.manifest
        ? {
            path: input.manifest.path,
            document: input.manifest.document,
            ...(input.manifest.yamlPath ? { yamlPath: input.manifest.yamlPath } : {}),
          }
        : null,
    },
    observation: {
      source: observation.source,
      mode: observation.mode,
      window: { from: observation.window.from, to: observation.window.to },
      coverage: observation.coverage,
      pods: observation.pods,
      queries: observation.queries,
      runs:
        runs && runCounts
          ? {
              ...runCounts,
              perRunPeaks: runs.map((run) => ({
                run: run.run,
                startedAt: run.startedAt,
                durationSeconds: run.durationSeconds,
                exitCode: run.exitCode,
                succeeded: run.succeeded,
                containers: peaksOf(run),
              })),
            }
          : null,
    },
    containers: outcomes.map((outcome) => outcome.decision),
    ...(cost ? { cost } : {}),
    confidenceFormula: runs ? RUN_BASED_FORMULA : CONTINUOUS_FORMULA,
    decision: decideWorkload(outcomes, blocks, observation),
    inputsDigest: inputsDigest(input),
  };
}

function peaksOf(run: JobRun): Record<string, { cpuPeak: number; memoryPeak: number }> {
  const peaks: Record<string, { cpuPeak: number; memoryPeak: number }> = {};
  for (const name in run.containers) {
    const peak = run.containers[name]!;
    peaks[name] = { cpuPeak: peak.cpuPeak, memoryPeak: peak.memoryPeak };
  }
  return peaks;
}

/**
 * Every workload of a snapshot, in snapshot order: what `rightsize recommend` runs. One record
 * at a time, so a caller can print each and let it go before the next (10,000 containers).
 */
export function* recommendSnapshot(
  snapshot: ObservationSnapshot,
  options: { tool: ToolRef; policy: Policy; policySource: PolicySourceRef; at: string },
): Generator<DecisionRecord, void, undefined> {
  for (const observation of snapshot.workloads) yield recommendWorkload({ observation, ...options });
}

/** SPEC §5: propose when a container changes (with enough confidence), hold when nothing material changes or data is missing, blocked otherwise. */
function decideWorkload(outcomes: readonly ContainerOutcome[], blocks: readonly string[], observation: WorkloadObservation): WorkloadDecision {
  const considered = outcomes.filter((outcome) => !outcome.excluded);
  const safety = worstSafety(considered.map((outcome) => outcome.decision.safety));
  const confidence = considered.length === 0 ? "LOW" : lowestConfidence(considered.map((outcome) => outcome.decision.confidence.level));
  const leftOut = outcomes.flatMap((outcome) => (outcome.note ? [outcome.note] : []));
  const attention = considered.flatMap((outcome) => outcome.attention.map((line) => `${outcome.decision.name}: ${line}`));
  const decide = (action: WorkloadDecision["action"], reasons: string[]): WorkloadDecision => {
    const decision: WorkloadDecision = { action, reasons: leftOut.length > 0 ? [...reasons, ...leftOut] : reasons, safety, confidence };
    if (action === "propose" && attention.length > 0) decision.attention = attention;
    return decision;
  };

  const blocked = considered.filter((outcome) => outcome.decision.action === "blocked");
  if (blocks.length > 0 || blocked.length > 0) {
    return decide("blocked", [
      ...blocks,
      ...blocked.flatMap((outcome) => outcome.blockedBecause.map((reason) => `${outcome.decision.name}: ${reason}`)),
    ]);
  }
  const held = (kind: ContainerOutcome["heldChange"]) => considered.filter((outcome) => outcome.heldChange === kind);
  const named = (outcome: ContainerOutcome, reasons: readonly string[]) => reasons.map((reason) => `${outcome.decision.name}: ${reason}`);
  const notes = [
    ...considered.flatMap((outcome) => named(outcome, outcome.heldForHpa)),
    ...held("confidence").flatMap((outcome) => named(outcome, outcome.heldBecause)),
  ];

  const changing = considered.filter((outcome) => outcome.decision.action === "change");
  if (changing.length > 0) {
    const summary = changing.map((outcome) => `${outcome.decision.name} (${outcome.changeSummary})`).join("; ");
    return decide("propose", [`changes in ${changing.length} of ${plural(considered.length, "container")}: ${summary}`, ...attention, ...notes]);
  }
  const gated = held("gate");
  if (gated.length > 0) return decide("hold", [...new Set(gated.flatMap((outcome) => outcome.heldBecause))]);
  if (held("hpa").length > 0) return decide("blocked", held("hpa").flatMap((outcome) => named(outcome, outcome.heldBecause).map((reason) => `HPA conflict: ${reason}`)));
  if (held("confidence").length > 0) return decide("hold", notes);
  if (considered.length === 0) {
    const why = observation.containers.length === 0 ? "no containers were observed" : leftOut.length > 0 ? "no observed container is both in the manifest and not excluded by the policy" : "every container is excluded by the policy";
    return decide("hold", [`nothing to resize: ${why}`]);
  }
  return decide("hold", ["no material change: every request is within the change threshold of its current value"]);
}

/** Hours in an average month (365 × 24 / 12): monthly figures are hourly prices × 730. */
export const HOURS_PER_MONTH = 730;
const GIB = 1024 ** 3;

/**
 * SPEC §11: each change priced per month with the policy's `cost` section, for the whole
 * workload: per pod × replicas observed (continuous), or × the average number of pods running
 * (run-based: run time ÷ window). Negative figures are savings. Only proposed changes count, and
 * not those of regular init containers: they hold nothing while the pod runs (no `cost` on them).
 */
function costOf(
  outcomes: ContainerOutcome[],
  observation: WorkloadObservation,
  runs: readonly JobRun[] | undefined,
  prices: Policy["cost"],
  windowSeconds: number,
  initContainers: readonly string[] = [],
): DecisionRecord["cost"] {
  const replicas = runs ? Math.min(1, runs.reduce((sum, run) => sum + run.durationSeconds, 0) / windowSeconds) : observation.pods;
  const total = { cpu: 0, memory: 0 };
  for (const outcome of outcomes) {
    const container = outcome.decision;
    if (container.action !== "change" || !outcome.delta || initContainers.includes(container.name)) continue;
    const cpu = cents(outcome.delta.cpu * prices.cpuCoreHour * HOURS_PER_MONTH * replicas);
    const memory = cents((outcome.delta.memory / GIB) * prices.memoryGiBHour * HOURS_PER_MONTH * replicas);
    container.cost = { cpu, memory, total: cents(cpu + memory) };
    total.cpu += cpu;
    total.memory += memory;
  }
  return {
    currency: prices.currency,
    cpuCoreHour: prices.cpuCoreHour,
    memoryGiBHour: prices.memoryGiBHour,
    hoursPerMonth: HOURS_PER_MONTH,
    replicas: Math.round(replicas * 1000) / 1000,
    monthly: { cpu: cents(total.cpu), memory: cents(total.memory), total: cents(total.cpu + total.memory) },
  };
}

function cents(value: number): number {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? 0 : rounded;
}

/**
 * sha256 over the canonical JSON of everything the record was computed from (SPEC §6):
 * `{"at", "manifest", "observation", "policy", "policySource"}` with sorted keys. The members
 * are written in that (sorted) order by hand so the policy and its source, the same for every
 * workload of a run, are canonicalised and encoded once.
 */
function inputsDigest(input: RecommendInput): string {
  return sha256Hex([
    `{"at":${canonicalJson(input.at)},"manifest":${canonicalJson(input.manifest ?? null)},"observation":`,
    canonicalJson(input.observation),
    policyTail(input.policy, input.policySource),
  ]);
}

const policyTails = new WeakMap<object, { source: PolicySourceRef; bytes: Uint8Array }>();

/** `,"policy":…,"policySource":…}` as UTF-8, kept per policy for the last source object it came with (neither is changed once loaded). */
function policyTail(policy: Policy, source: PolicySourceRef): Uint8Array {
  const kept = policyTails.get(policy);
  if (kept?.source === source) return kept.bytes;
  const bytes = new TextEncoder().encode(`,"policy":${canonicalJsonOnce(policy)},"policySource":${canonicalJson(source)}}`);
  policyTails.set(policy, { source, bytes });
  return bytes;
}
