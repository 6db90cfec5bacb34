import {
  compareQuantities,
  formatCpu,
  formatInStyleOf,
  formatMemory,
  percentChange,
  subtractQuantities,
  type ContainerObservation,
  type JobRun,
  type Quantity,
  type ResourceName,
  type UsageStatistics,
} from "../domain/index.js";
import type { ApplyPolicy, RecommendPolicy, SafetyRating } from "../policy/index.js";
import { confidenceAtLeast, continuousConfidence, runBasedConfidence, type Confidence } from "./confidence.js";
import { effectiveRequest, isInManifest, resolveCurrent, type CurrentResources, type WrittenResources } from "./current.js";
import { describePercent, describeQuantity, describeTime, plural, roundPercent } from "./describe.js";
import { recommendLimit } from "./limits.js";
import type { ContainerDecision } from "./record.js";
import { peakToP95, rateSafety } from "./safety.js";
import { oomTarget, sizeRequest, type Sizing } from "./sizing.js";
import { usageFromObservation, usageFromRuns, type Usage } from "./statistics.js";

const RESOURCES = ["cpu", "memory"] as const;

/** What every container of one workload shares. */
export interface WorkloadContext {
  recommend: RecommendPolicy;
  apply: ApplyPolicy;
  margins: Record<Exclude<SafetyRating, "UNSAFE">, number>;
  /** Continuous observation: window length and coverage. */
  windowSeconds: number;
  coverage: number;
  /** Run-based observation only. */
  runs?: { all: readonly JobRun[]; succeeded: number; failed: number };
  /** Resources an HPA scales this workload on (SPEC §4: their requests are held). */
  hpa?: { name: string; metrics: ReadonlySet<string> };
  manifest?: { path: string; current?: Record<string, WrittenResources> };
  excludedContainers: ReadonlySet<string>;
  /** The pod's QoS class is Guaranteed: every container's requests equal its limits. */
  guaranteed: boolean;
  /** Reasons the whole workload has no recommendation (observation problems, failed runs, manifest). */
  blocks: readonly string[];
  /** The source failed for this workload, which already explains any missing metrics (as does a run-based workload without a successful run). */
  observationFailed: boolean;
  /** Reasons no change may be proposed yet (waiting for runs, Jobs disabled). */
  gates: readonly string[];
}

export interface ContainerOutcome {
  decision: ContainerDecision;
  /** Container-specific reasons it is blocked (workload-wide ones are the workload's). */
  blockedBecause: string[];
  /** A material change that is not proposed: by a gate, low confidence, or an HPA (when nothing else changes). */
  heldChange?: "gate" | "confidence" | "hpa";
  heldBecause: string[];
  /** Requests held because an HPA scales on them, whether or not something else changes. */
  heldForHpa: string[];
  /** `cpu 500m → 210m, memory 512Mi → 288Mi`, for the workload's reasons. */
  changeSummary: string;
  /** Left out of the workload's decision: excluded by the policy, or not in the manifest. */
  excluded: boolean;
  /** Said in the workload's reasons whatever the decision (a container left out unasked). */
  note?: string;
}

/** One container through SPEC §5: usage, confidence, safety, sizing, hysteresis, limits, action. */
export function decideContainer(container: ContainerObservation, context: WorkloadContext): ContainerOutcome {
  const current = resolveCurrent(container, context.manifest);
  const usage = {
    cpu: usageOf(container, context, "cpu"),
    memory: usageOf(container, context, "memory"),
  };
  const missing = RESOURCES.filter((resource) => usage[resource] === undefined);
  const confidence = context.runs
    ? runBasedConfidence(usage.cpu?.samples ?? 0, context.runs.failed)
    : continuousConfidence({
        windowSeconds: context.windowSeconds,
        coverage: context.coverage,
        samples: fewestSamples(usage.cpu, usage.memory),
        restarts: container.restarts,
        missingMetrics: missing.map((resource) => (resource === "cpu" ? "CPU" : "memory")),
      });
  const safety = rateSafety(
    {
      oomKills: container.oomKills.length,
      restarts: container.restarts,
      throttledRatio: container.throttledRatio,
      peakToP95: { cpu: usage.cpu && spikiness(usage.cpu), memory: usage.memory && spikiness(usage.memory) },
      confidence: confidence.level,
    },
    context.recommend.safety,
  );
  const base = {
    name: container.name,
    current: current.written,
    usage: { cpu: usage.cpu ? recordedUsage(usage.cpu.numbers) : null, memory: usage.memory ? recordedUsage(usage.memory.numbers) : null },
    evidence: {
      oomKills: container.oomKills.map((kill) => ({ at: kill.at, pod: kill.pod })),
      restarts: container.restarts,
      throttledRatio: container.throttledRatio,
    },
    safety: safety.rating,
    confidence,
  };
  // Built field by field (not spread) in the record's order: this runs for every container of a snapshot.
  const decision = (
    action: ContainerDecision["action"],
    reasons: string[],
    outcome?: Pick<ContainerDecision, "recommended" | "derivation" | "change">,
  ): ContainerDecision => ({
    name: base.name,
    current: base.current,
    usage: base.usage,
    evidence: base.evidence,
    safety: base.safety,
    confidence: base.confidence,
    recommended: outcome ? outcome.recommended : current.written,
    derivation: outcome ? outcome.derivation : { cpu: null, memory: null },
    change: outcome ? outcome.change : { cpu: null, memory: null },
    action,
    reasons,
  });

  if (context.excludedContainers.has(container.name)) {
    const reasons = [`left unchanged: excluded by the policy (selector.containers.exclude)`];
    return { decision: decision("none", reasons), blockedBecause: [], heldBecause: [], heldForHpa: [], changeSummary: "", excluded: true };
  }
  if (context.manifest && !isInManifest(container.name, context.manifest)) {
    // A sidecar injected at admission (Vault agent, mesh proxy) runs but has no manifest entry to
    // edit; it must not hold back the containers that do.
    const note = `container "${container.name}" runs in the cluster but is not in the manifest (injected at admission?); it is left out — add it to selector.containers.exclude to silence this`;
    return { decision: decision("none", [note]), blockedBecause: [], heldBecause: [], heldForHpa: [], changeSummary: "", excluded: true, note };
  }

  if (context.runs && context.runs.succeeded === 0 && context.blocks.length === 0) {
    // Nothing to size yet: the gates say what the workload is waiting for.
    const heldBecause = [...context.gates];
    return { decision: decision("none", heldBecause), blockedBecause: [], heldChange: "gate", heldBecause, heldForHpa: [], changeSummary: "", excluded: false };
  }
  const blockedBecause = [
    ...(current.problem ? [current.problem] : []),
    ...(context.observationFailed || context.runs?.succeeded === 0 ? [] : missing.map((resource) => `no ${resource === "cpu" ? "CPU" : "memory"} usage was measured for this container`)),
    ...(safety.rating === "UNSAFE" ? [`rated UNSAFE: ${safety.because.join("; ")}`] : []),
  ];
  if (context.blocks.length > 0 || blockedBecause.length > 0) {
    const reasons = [...context.blocks, ...blockedBecause];
    return { decision: decision("blocked", reasons), blockedBecause, heldBecause: [], heldForHpa: [], changeSummary: "", excluded: false };
  }

  const rating = safety.rating as Exclude<SafetyRating, "UNSAFE">;
  const margin = context.margins[rating];
  const reasons = [`rated ${rating}${safety.because.length > 0 ? `: ${safety.because.join("; ")}` : ""}; margin ${margin}`, describeConfidence(confidence)];
  if (context.runs) {
    const failed = context.runs.failed > 0 ? ` (${plural(context.runs.failed, "failed run")} excluded)` : "";
    reasons.push(`percentiles over the per-run peaks of ${plural(usage.cpu!.samples, "successful run")}${failed}`);
  }
  if (container.oomKills.length > 0) reasons.push(`memory not lowered: ${describeOomKills(container)}`);
  const measured = { cpu: usage.cpu!, memory: usage.memory! };
  const plan = RESOURCES.map((resource) => planRequest(resource, container, current, measured[resource], margin, context, reasons));

  const recommended: WrittenResources = { requests: {}, limits: {} };
  const summary: string[] = [];
  let changed = false;
  for (const request of plan) {
    if (request.written !== undefined) recommended.requests[request.resource] = request.written;
    if (request.changed) {
      changed = true;
      summary.push(`${request.resource} ${current.written.requests[request.resource] ?? "(not set)"} → ${request.written}`);
    }
  }

  const newLimits: Partial<Record<ResourceName, Quantity>> = {};
  for (const request of plan) {
    const { resource } = request;
    const writtenLimit = current.written.limits[resource];
    const outcome = recommendLimit(
      context.recommend.limits,
      { resource, currentRequest: effectiveRequest(current, resource), currentLimit: current.limits[resource], newRequest: request.value, guaranteed: context.guaranteed },
      context.recommend,
    );
    if (outcome.kind === "unchanged") {
      if (writtenLimit !== undefined) recommended.limits[resource] = writtenLimit;
      newLimits[resource] = current.limits[resource];
      continue;
    }
    changed = true;
    if (outcome.kind === "removed") {
      reasons.push(`${resource} limit ${writtenLimit} removed: ${outcome.why}`);
      summary.push(`${resource} limit ${writtenLimit} → removed`);
      continue;
    }
    newLimits[resource] = outcome.value;
    const text = formatInStyleOf(outcome.value, resource, writtenLimit ?? current.written.requests[resource]);
    recommended.limits[resource] = text;
    reasons.push(`${resource} limit ${writtenLimit ?? "(not set)"} → ${text}: ${outcome.why}`);
    summary.push(`${resource} limit ${writtenLimit ?? "(not set)"} → ${text}`);
  }
  if (changed && context.guaranteed) {
    const unequal = plan.filter((request) => !sameQuantity(request.value, newLimits[request.resource])).map((request) => request.resource);
    if (unequal.length > 0) {
      reasons.push(
        `QoS class: the pod is Guaranteed today (every container's requests equal its limits) and becomes Burstable: the ${unequal.join(" and ")} ` +
          `${unequal.length > 1 ? "requests no longer equal their limits" : "request no longer equals its limit"} (limits: ${context.recommend.limits}); ` +
          `Burstable pods are evicted before Guaranteed ones under node pressure; recommend.limits: keep keeps the class`,
      );
    }
  }

  const change = {
    cpu: changePercent(effectiveRequest(current, "cpu"), plan[0]!.value),
    memory: changePercent(effectiveRequest(current, "memory"), plan[1]!.value),
  };
  const derivation = { cpu: plan[0]!.derivation, memory: plan[1]!.derivation };
  const heldForHpa = plan.filter((request) => request.heldByHpa).map((request) => request.sentence);
  const sized = { recommended, derivation, change };
  const changeSummary = summary.join(", ");
  const heldBecause = holdReasons(confidence, context);
  if (changed && heldBecause.length > 0) {
    const heldChange = context.gates.length > 0 ? ("gate" as const) : ("confidence" as const);
    reasons.push(...heldBecause);
    return { decision: decision("none", reasons, sized), blockedBecause: [], heldChange, heldBecause, heldForHpa, changeSummary, excluded: false };
  }
  if (!changed && heldForHpa.length > 0) {
    return { decision: decision("none", reasons, sized), blockedBecause: [], heldChange: "hpa", heldBecause: heldForHpa, heldForHpa, changeSummary, excluded: false };
  }
  return { decision: decision(changed ? "change" : "none", reasons, sized), blockedBecause: [], heldBecause: [], heldForHpa, changeSummary, excluded: false };
}

function usageOf(container: ContainerObservation, context: WorkloadContext, resource: ResourceName): Usage | undefined {
  if (context.runs) return usageFromRuns(context.runs.all, container.name, resource);
  const statistics = container[resource];
  return statistics && statistics.samples > 0 ? usageFromObservation(statistics) : undefined;
}

interface PlannedRequest {
  resource: ResourceName;
  /** The request the container will have; undefined when none is set and none is recommended. */
  value?: Quantity;
  written?: string;
  changed: boolean;
  heldByHpa: boolean;
  derivation: NonNullable<ContainerDecision["derivation"]["cpu"]>;
  sentence: string;
}

/** Sizes one request and decides whether the change is material (hysteresis) and allowed (HPA). */
function planRequest(
  resource: ResourceName,
  container: ContainerObservation,
  current: CurrentResources,
  usage: Usage,
  margin: number,
  context: WorkloadContext,
  reasons: string[],
): PlannedRequest {
  const policy = context.recommend;
  const show = (value: Quantity) => describeQuantity(value, resource);
  const percentile = policy[resource].percentile;
  const statistic = usage.quantity(percentile);
  const currentRequest = effectiveRequest(current, resource);
  const sizing = sizeRequest(
    {
      resource,
      percentile,
      statistic,
      margin,
      current: currentRequest,
      ...(resource === "memory" ? memoryRules(container, current, usage, policy) : cpuRules(container, current, policy)),
    },
    policy,
  );
  const derivation = {
    percentile,
    observed: canonical(statistic, resource),
    margin,
    target: canonical(sizing.target, resource),
    computed: canonical(sizing.computed, resource),
  };
  const how = [`${percentile} ${show(statistic)} × ${margin} = ${show(sizing.target)}`, ...sizing.steps].join("; ");
  const writtenRequest = current.written.requests[resource];
  const label = `${resource} request`;
  const keep = (sentence: string, heldByHpa = false): PlannedRequest => {
    reasons.push(sentence);
    return {
      resource,
      value: currentRequest,
      written: writtenRequest,
      changed: false,
      heldByHpa,
      derivation,
      sentence,
    };
  };

  if (current.requests[resource] !== undefined && compareQuantities(sizing.computed, current.requests[resource]) === 0) {
    return keep(`${label} stays ${writtenRequest}: ${how}`);
  }
  const hysteresis = currentRequest === undefined ? undefined : belowChangeThreshold(resource, currentRequest, sizing, usage, context);
  if (hysteresis) return keep(`${label} stays ${writtenRequest ?? `unset (the limit ${current.written.limits[resource]} applies)`}: ${how}; ${hysteresis}`);

  const hpa = context.hpa;
  if (hpa && hpa.metrics.has(resource) && !context.apply.allowWithHpa) {
    return keep(
      `${label} held at ${writtenRequest ?? "(not set)"} instead of ${show(sizing.computed)} (${how}): the HPA ${hpa.name} scales on ${resource} utilisation, which is measured against the request; set apply.allowWithHpa: true to change it`,
      true,
    );
  }

  const written = formatInStyleOf(sizing.computed, resource, writtenRequest ?? current.written.limits[resource]);
  const delta = currentRequest && currentRequest.nanos > 0n ? ` (${describePercent(percentChange(currentRequest, sizing.computed))})` : "";
  reasons.push(`${label} ${writtenRequest ?? "(not set)"} → ${written}${delta}: ${how}`);
  return { resource, value: sizing.computed, written, changed: true, heldByHpa: false, derivation, sentence: "" };
}

function cpuRules(container: ContainerObservation, current: CurrentResources, policy: RecommendPolicy) {
  const limit = current.limits.cpu;
  if (!limit || container.throttledRatio <= policy.throttlingHoldRatio) return {};
  return {
    neverDecrease: `CPU was throttled in ${roundPercent(container.throttledRatio * 100)}% of periods under the CPU limit ${current.written.limits.cpu} (above ${roundPercent(policy.throttlingHoldRatio * 100)}%, CPU is never lowered)`,
  };
}

function memoryRules(container: ContainerObservation, current: CurrentResources, usage: Usage, policy: RecommendPolicy) {
  const observedMax = usage.quantity("max");
  const floor = { value: observedMax, why: `memory is never below the observed max ${describeQuantity(observedMax, "memory")}` };
  const kills = container.oomKills;
  if (kills.length === 0) return { floor };
  const candidates: [Quantity | undefined, string][] = [
    [current.limits.memory, "the current limit"],
    [current.requests.memory, "the current request"],
    [observedMax, "the observed max"],
  ];
  const [used, what] = candidates
    .filter((candidate): candidate is [Quantity, string] => candidate[0] !== undefined)
    .reduce((best, next) => (compareQuantities(next[0], best[0]) > 0 ? next : best));
  const bump = policy.oomBump;
  return {
    floor,
    raiseTo: {
      value: oomTarget(used, policy),
      why: `the OOM rule max(used + ${describeQuantity(bump.memory, "memory")}, used × ${bump.factor}) with used = ${describeQuantity(used, "memory")} (${what})`,
    },
    neverDecrease: describeOomKills(container),
  };
}

/**
 * SPEC §5 hysteresis: a change is proposed only when it is at least minChangePercent and at
 * least minChange (10% and 10m CPU / 16Mi memory). Never applied when the current value is
 * outside the policy bounds or (memory) below the observed max: those changes are corrections.
 * Returns why the change is too small, or undefined when it is material.
 */
function belowChangeThreshold(
  resource: ResourceName,
  current: Quantity,
  sizing: Sizing,
  usage: Usage,
  context: WorkloadContext,
): string | undefined {
  const policy = context.recommend;
  const bounds = policy.bounds[resource];
  if (current.nanos === 0n || compareQuantities(current, bounds.min) < 0 || compareQuantities(current, bounds.max) > 0) return undefined;
  if (resource === "memory" && compareQuantities(current, usage.quantity("max")) < 0) return undefined;
  const percent = percentChange(current, sizing.computed);
  const absolute = compareQuantities(sizing.computed, current) >= 0 ? subtractQuantities(sizing.computed, current) : subtractQuantities(current, sizing.computed);
  const floor = policy.minChange[resource];
  if (Math.abs(percent) >= policy.minChangePercent && compareQuantities(absolute, floor) >= 0) return undefined;
  const show = (value: Quantity) => describeQuantity(value, resource);
  return `a change of ${describePercent(percent)} (${show(absolute)}) is below the threshold of ${policy.minChangePercent}% and ${show(floor)}`;
}

function describeOomKills(container: ContainerObservation): string {
  const last = container.oomKills.map((kill) => kill.at).reduce((latest, at) => (Date.parse(at) > Date.parse(latest) ? at : latest));
  return `${plural(container.oomKills.length, "OOM kill")} in the window, last ${describeTime(last)}`;
}

function holdReasons(confidence: Confidence, context: WorkloadContext): string[] {
  if (context.gates.length > 0) return [...context.gates];
  if (confidenceAtLeast(confidence.level, context.apply.minConfidence)) return [];
  return [`waiting for data: confidence ${confidence.level} (${confidence.score}) is below the policy minimum ${context.apply.minConfidence} (apply.minConfidence)`];
}

function describeConfidence(confidence: Confidence): string {
  const factors = confidence.factors.map((factor) => `${factor.name} ${factor.observed}`).join(", ");
  return `confidence ${confidence.level} (${confidence.score}/100): ${factors}`;
}

function sameQuantity(a: Quantity | undefined, b: Quantity | undefined): boolean {
  return a !== undefined && b !== undefined && compareQuantities(a, b) === 0;
}

function changePercent(current: Quantity | undefined, next: Quantity | undefined): number | null {
  if (current === undefined || next === undefined || current.nanos === 0n) return null;
  return roundPercent(percentChange(current, next));
}

function canonical(value: Quantity, resource: ResourceName): string {
  return resource === "cpu" ? formatCpu(value) : formatMemory(value);
}

/** The statistics the record shows (the snapshot may carry more fields; they stay in the snapshot). */
function recordedUsage(numbers: UsageStatistics): UsageStatistics {
  return { p50: numbers.p50, p90: numbers.p90, p95: numbers.p95, p99: numbers.p99, max: numbers.max, mean: numbers.mean, samples: numbers.samples };
}

function fewestSamples(cpu: Usage | undefined, memory: Usage | undefined): number | undefined {
  if (cpu && memory) return Math.min(cpu.samples, memory.samples);
  return (cpu ?? memory)?.samples;
}

function spikiness(usage: Usage): number {
  return peakToP95(usage.quantity("max").nanos, usage.quantity("p95").nanos);
}
