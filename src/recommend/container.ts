import {
  addQuantities,
  compareQuantities,
  describeUnknownEvidence,
  EVIDENCE_NAMES,
  unknownEvidenceOf,
  type ContainerEvidence,
  type WorkloadEvidence,
  formatCpu,
  formatInStyleOf,
  formatMemory,
  percentChange,
  quantile,
  quantityFromNumber,
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
import { describeDuration, describePercent, describeQuantity, describeRate, describeRatio, describeTime, plural, roundPercent } from "./describe.js";
import { recommendLimit } from "./limits.js";
import type { ContainerDecision } from "./record.js";
import { peakToP95, rateSafety, worseSafety, type SafetyAssessment, type SafetyEvidence } from "./safety.js";
import { oomTarget, sizeRequest, type Raise, type Sizing } from "./sizing.js";
import { usageFromObservation, usageFromRuns, type Percentile, type Usage } from "./statistics.js";
import { analyseTrend, type SeriesPoint, type TrendAnalysis } from "./trend.js";

const RESOURCES = ["cpu", "memory"] as const;
const DAY = 86_400;

/** What every container of one workload shares. */
export interface WorkloadContext {
  recommend: RecommendPolicy;
  apply: ApplyPolicy;
  margins: Record<Exclude<SafetyRating, "UNSAFE">, number>;
  /** Continuous observation: window length and coverage. */
  windowSeconds: number;
  coverage: number;
  /** Unix seconds of the end of the window: where trends are projected from. */
  windowEnd: number;
  /** A Job or CronJob: its rating margins (jobMargins) apply, not the CPU variability margin. */
  isJob: boolean;
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
  /** Reasons no change may be proposed at all (Jobs turned off in the policy). */
  gates: readonly string[];
  /** Reasons a decrease may not be proposed yet (waiting for runs); increases go ahead (SPEC §5 direction-aware gates). */
  dataGates: readonly string[];
  /** Why memory decreases wait (an OOM kill before the fresh window the data come from); other changes go ahead. */
  memoryHold?: string;
  /** Workload evidence the source could not measure (owners, Job timing), with the missing metric. */
  workloadUnknown: ReadonlyArray<{ evidence: WorkloadEvidence; metric: string }>;
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
  /** "needs attention": increases proposed past an UNSAFE rating or low confidence. */
  attention: string[];
  /** New minus current request per pod (cores, bytes) when the container changes: what SPEC §11 prices. */
  delta?: { cpu: number; memory: number };
}

type Derivation = NonNullable<ContainerDecision["derivation"]["cpu"]>;

/** A CPU rating, and the rating CPU evidence other than the spread gives (the floor of a variability margin). */
type CpuRating = SafetyAssessment & { withoutSpread: SafetyRating };

interface MarginChoice {
  margin: number;
  from: NonNullable<Derivation["marginFrom"]>;
  variability?: NonNullable<Derivation["variability"]>;
  /** `cpu 1.34 (variability: …)`, for the rating sentence. */
  sentence: string;
}

/** One container through SPEC §5: usage, confidence, per-resource safety, trends, sizing, hysteresis, gates, limits, action. */
export function decideContainer(container: ContainerObservation, context: WorkloadContext): ContainerOutcome {
  const current = resolveCurrent(container, context.manifest);
  const usage = {
    cpu: usageOf(container, context, "cpu"),
    memory: usageOf(container, context, "memory"),
  };
  const missing: ResourceName[] = [];
  if (usage.cpu === undefined) missing.push("cpu");
  if (usage.memory === undefined) missing.push("memory");
  // SPEC §4: evidence whose metric was missing is unknown, never zero. CPU and memory usage are
  // scored as missing metrics already; the rest lowers confidence here and rates the resource.
  const containerUnknown = unknownEvidenceOf(container);
  const unknown = context.workloadUnknown.length === 0 ? containerUnknown : [...containerUnknown, ...context.workloadUnknown];
  const unknownOf = (evidence: ContainerEvidence) => (containerUnknown.length === 0 ? undefined : containerUnknown.find((entry) => entry.evidence === evidence));
  const unknownWords: string[] =
    unknown.length === 0
      ? []
      : unknown.filter((entry) => entry.evidence !== "cpu" && entry.evidence !== "memory").map((entry) => `${EVIDENCE_NAMES[entry.evidence]} (no ${entry.metric})`);
  const confidence = context.runs
    ? runBasedConfidence(usage.cpu?.samples ?? 0, context.runs.failed, unknownWords)
    : continuousConfidence({
        windowSeconds: context.windowSeconds,
        coverage: context.coverage,
        samples: fewestSamples(usage.cpu, usage.memory),
        restarts: container.restarts,
        missingMetrics: missing.map((resource) => (resource === "cpu" ? "CPU" : "memory")),
        unknownEvidence: unknownWords,
      });
  const ratings = rateResources(container, usage, confidence, context.recommend, unknownOf);
  const safety = worseSafety(ratings.cpu.rating, ratings.memory.rating);
  const evidence: ContainerDecision["evidence"] = {
    oomKills: unknownOf("oomKills") ? null : container.oomKills.map((kill) => ({ at: kill.at, pod: kill.pod })),
    restarts: unknownOf("restarts") ? null : container.restarts,
    throttledRatio: unknownOf("throttling") ? null : container.throttledRatio,
  };
  if (unknown.length > 0) evidence.unknown = unknown;
  const base = {
    name: container.name,
    current: current.written,
    usage: { cpu: usage.cpu ? recordedUsage(usage.cpu.numbers) : null, memory: usage.memory ? recordedUsage(usage.memory.numbers) : null },
    evidence,
    safety,
    safetyByResource: { cpu: ratings.cpu.rating, memory: ratings.memory.rating },
    confidence,
  };
  // Built field by field (not spread) in the record's order: this runs for every container of a snapshot.
  const decision = (
    action: ContainerDecision["action"],
    reasons: string[],
    outcome?: Pick<ContainerDecision, "recommended" | "derivation" | "change">,
    attention?: string[],
  ): ContainerDecision => {
    const made: ContainerDecision = {
      name: base.name,
      current: base.current,
      usage: base.usage,
      evidence: base.evidence,
      safety: base.safety,
      safetyByResource: base.safetyByResource,
      confidence: base.confidence,
      recommended: outcome ? outcome.recommended : current.written,
      derivation: outcome ? outcome.derivation : { cpu: null, memory: null },
      change: outcome ? outcome.change : { cpu: null, memory: null },
      action,
      reasons,
    };
    if (attention && attention.length > 0) made.attention = attention;
    return made;
  };
  if (context.excludedContainers.has(container.name)) {
    const reasons = [`left unchanged: excluded by the policy (selector.containers.exclude)`];
    return outcomeOf(decision("none", reasons), true);
  }
  if (context.manifest && !isInManifest(container.name, context.manifest)) {
    // A sidecar injected at admission (Vault agent, mesh proxy) runs but has no manifest entry to
    // edit; it must not hold back the containers that do.
    const note = `container "${container.name}" runs in the cluster but is not in the manifest (injected at admission?); it is left out — add it to selector.containers.exclude to silence this`;
    return outcomeOf(decision("none", [note]), true, { note });
  }

  if (context.runs && context.runs.succeeded === 0 && context.blocks.length === 0) {
    // Nothing to size yet: the gates say what the workload is waiting for.
    const heldBecause = [...context.gates, ...context.dataGates];
    return outcomeOf(decision("none", heldBecause), false, { heldChange: "gate", heldBecause });
  }
  const unsafe = safety === "UNSAFE" ? `rated UNSAFE: ${unique([...ratings.cpu.because, ...ratings.memory.because]).join("; ")}` : undefined;
  const blockedBecause = [
    ...(current.problem ? [current.problem] : []),
    ...(context.observationFailed || context.runs?.succeeded === 0 ? [] : missing.map((resource) => `no ${resource === "cpu" ? "CPU" : "memory"} usage was measured for this container`)),
  ];
  if (context.blocks.length > 0 || blockedBecause.length > 0) {
    const reasons = [...context.blocks, ...blockedBecause, ...(unsafe ? [unsafe] : [])];
    return outcomeOf(decision("blocked", reasons), false, { blockedBecause: [...blockedBecause, ...(unsafe ? [unsafe] : [])] });
  }

  const measured = { cpu: usage.cpu!, memory: usage.memory! };
  const trends = trendsOf(container, context);
  const margins = {
    cpu: cpuMargin(ratings.cpu, measured.cpu, context),
    memory: memoryMargin(ratings.memory.rating, container, measured.memory, trends.memory, context),
  };
  const reasons = [ratingSentence(ratings, safety, margins), describeConfidence(confidence)];
  if (context.runs) {
    const failed = context.runs.failed > 0 ? ` (${plural(context.runs.failed, "failed run")} excluded)` : "";
    reasons.push(`percentiles over the per-run peaks of ${plural(measured.cpu.samples, "successful run")}${failed}`);
  }
  if (container.oomKills.length > 0) reasons.push(`memory not lowered: ${describeOomKills(container)}`);
  const plan = RESOURCES.map((resource) => planRequest(resource, container, current, measured[resource], margins[resource], trends[resource], context));
  // SPEC §4: while OOM kills are unknown, memory is not lowered (a limit too tight to see could be killing it).
  const oomUnknown = unknownOf("oomKills");
  const memoryPlan = plan[1]!;
  const lowersMemory = memoryPlan.changed && memoryPlan.direction === "down";
  const memoryHold = !lowersMemory
    ? undefined
    : context.memoryHold ??
      (oomUnknown && context.apply.unknownOomKills === "hold" ? `OOM kills are unknown (no ${oomUnknown.metric}); install or fix kube-state-metrics, or set apply.unknownOomKills: allow` : undefined);
  if (memoryHold) holdDecrease(memoryPlan, current, [memoryHold]);

  const heldBecause = holdReasons(confidence, context);
  const softGates = [...(unsafe ? [unsafe] : []), ...heldBecause.soft];
  const increases = plan.filter((request) => request.changed && request.direction === "up");
  const decreases = plan.filter((request) => request.changed && request.direction !== "up");
  const heldForHpa = plan.filter((request) => request.heldByHpa).map((request) => request.sentence);

  if (heldBecause.hard.length === 0 && softGates.length > 0 && increases.length > 0) {
    // SPEC §5 direction-aware gates: an UNSAFE rating or low confidence holds decreases only; the
    // increases the data call for are proposed at once, with a line saying what needs attention.
    // Per resource (SPEC §5): an UNSAFE rating holds that resource's decreases; low confidence holds both.
    const held = decreases.filter((request) => heldBecause.soft.length > 0 || ratings[request.resource].rating === "UNSAFE");
    for (const request of held) {
      holdDecrease(request, current, [...(ratings[request.resource].rating === "UNSAFE" && unsafe ? [unsafe] : []), ...heldBecause.soft]);
    }
    for (const request of plan) reasons.push(...request.notes, request.sentence);
    const attention = [attentionLine(increases, container, current, softGates, held.length > 0)];
    const sized = finish(plan, current, context, reasons);
    return outcomeOf(decision("change", reasons, sized, attention), false, { heldForHpa, changeSummary: sized.summary, attention, delta: sized.delta });
  }

  for (const request of plan) reasons.push(...request.notes, request.sentence);
  const sized = finish(plan, current, context, reasons);
  if (unsafe) {
    // Nothing to raise: an UNSAFE container keeps its values until the cause is fixed.
    return outcomeOf(decision("blocked", [unsafe]), false, { blockedBecause: [unsafe] });
  }
  const allHeld = [...heldBecause.hard, ...heldBecause.soft];
  if (sized.changed && allHeld.length > 0) {
    const heldChange = heldBecause.hard.length > 0 || context.dataGates.length > 0 ? ("gate" as const) : ("confidence" as const);
    reasons.push(...allHeld);
    return outcomeOf(decision("none", reasons, sized), false, { heldChange, heldBecause: allHeld, heldForHpa, changeSummary: sized.summary });
  }
  if (!sized.changed && memoryHold) {
    return outcomeOf(decision("none", reasons, sized), false, { heldChange: "gate", heldBecause: [`memory decrease held: ${memoryHold}`], heldForHpa, changeSummary: sized.summary });
  }
  if (!sized.changed && heldForHpa.length > 0) {
    return outcomeOf(decision("none", reasons, sized), false, { heldChange: "hpa", heldBecause: heldForHpa, heldForHpa, changeSummary: sized.summary });
  }
  return outcomeOf(decision(sized.changed ? "change" : "none", reasons, sized), false, { heldForHpa, changeSummary: sized.summary, delta: sized.delta });
}

type OutcomeFields = Partial<Omit<ContainerOutcome, "decision" | "excluded">>;

/** An outcome with the lists it does not need left empty (written out, not spread: this runs for every container). */
function outcomeOf(decision: ContainerDecision, excluded: boolean, fields: OutcomeFields = {}): ContainerOutcome {
  const outcome: ContainerOutcome = {
    decision,
    blockedBecause: fields.blockedBecause ?? [],
    heldBecause: fields.heldBecause ?? [],
    heldForHpa: fields.heldForHpa ?? [],
    changeSummary: fields.changeSummary ?? "",
    excluded,
    attention: fields.attention ?? [],
  };
  if (fields.heldChange !== undefined) outcome.heldChange = fields.heldChange;
  if (fields.note !== undefined) outcome.note = fields.note;
  if (fields.delta !== undefined) outcome.delta = fields.delta;
  return outcome;
}

/**
 * SPEC §5 per-resource ratings: CPU evidence (burstiness, throttling) rates CPU, memory evidence
 * (OOM kills, memory spikes) rates memory; restarts and LOW confidence count for both.
 */
function rateResources(
  container: ContainerObservation,
  usage: { cpu?: Usage; memory?: Usage },
  confidence: Confidence,
  policy: RecommendPolicy,
  unknownOf: (evidence: ContainerEvidence) => { evidence: ContainerEvidence; metric: string } | undefined,
): { cpu: CpuRating; memory: SafetyAssessment } {
  const level = confidence.level;
  const words = (kinds: readonly ContainerEvidence[]): string[] => {
    const found: string[] = [];
    for (const kind of kinds) {
      const entry = unknownOf(kind);
      if (entry) found.push(describeUnknownEvidence(kind, entry.metric));
    }
    return found;
  };
  // A restart caused by an OOM kill is memory evidence: it is counted there, not again for CPU.
  const cpuRestarts = Math.max(0, container.restarts - container.oomKills.length);
  const cpuUnknown = words(CPU_EVIDENCE);
  const cpuEvidence = (peakToP95: SafetyEvidence["peakToP95"]): SafetyEvidence => ({
    restarts: cpuRestarts,
    confidence: level,
    oomKills: 0,
    throttledRatio: container.throttledRatio,
    peakToP95,
    unknown: cpuUnknown,
  });
  const cpuSpread = usage.cpu && spikiness(usage.cpu);
  const cpu = rateSafety(cpuEvidence({ cpu: cpuSpread }), policy.safety);
  // The spread only ever adds a RISKY reason: without it the rating differs only when it was one.
  const spreadCounted = cpuSpread !== undefined && cpuSpread > policy.safety.risky.peakToP95Above;
  const withoutSpread = spreadCounted ? rateSafety(cpuEvidence({}), policy.safety).rating : cpu.rating;
  const memory = rateSafety(
    {
      restarts: container.restarts,
      confidence: level,
      oomKills: container.oomKills.length,
      throttledRatio: 0,
      peakToP95: { memory: usage.memory && spikiness(usage.memory) },
      unknown: words(unknownOf("restarts") ? RESTART_EVIDENCE : OOM_EVIDENCE),
    },
    policy.safety,
  );
  return { cpu: { rating: cpu.rating, because: cpu.because, withoutSpread }, memory };
}

const CPU_EVIDENCE: readonly ContainerEvidence[] = ["restarts", "throttling"];
const RESTART_EVIDENCE: readonly ContainerEvidence[] = ["restarts"];
const OOM_EVIDENCE: readonly ContainerEvidence[] = ["oomKills"];

function ratingSentence(ratings: { cpu: SafetyAssessment; memory: SafetyAssessment }, worst: SafetyRating, margins: { cpu: MarginChoice; memory: MarginChoice }): string {
  const because =
    ratings.cpu.rating === ratings.memory.rating
      ? unique([...ratings.cpu.because, ...ratings.memory.because]).join("; ")
      : RESOURCES.map((resource) => {
          const { rating, because: why } = ratings[resource];
          return `${resource} ${rating}${why.length > 0 ? ` (${why.join("; ")})` : ""}`;
        }).join(", ");
  return `rated ${worst}${because ? `: ${because}` : ""}; margins: ${margins.cpu.sentence}, ${margins.memory.sentence}`;
}

function ratingMargin(rating: SafetyRating, context: WorkloadContext): number {
  // An UNSAFE container only ever gets increases; they take the largest margin.
  return context.margins[rating === "UNSAFE" ? "RISKY" : rating];
}

/**
 * SPEC §5 CPU margin: from the container's own variability (policy recommend.cpu.margin:
 * variability, the default for continuous workloads): clamp(p99 ÷ the sizing percentile (p90) ×
 * headroom, min, max), rounded up to 0.01. The rating's margin is a floor when CPU evidence other than the spread
 * (throttling, restarts, LOW confidence) rates it above SAFE: the spread (max ÷ p95) is what the
 * variability margin measures, so it is not counted twice. Jobs and `margin: rating` use the rating.
 */
function cpuMargin(ratings: CpuRating, usage: Usage, context: WorkloadContext): MarginChoice {
  const { rating } = ratings;
  const byRating = ratingMargin(rating, context);
  const policy = context.recommend.cpu;
  if (context.runs || context.isJob || policy.margin === "rating") return { margin: byRating, from: "rating", sentence: `cpu ${byRating} (${rating})` };
  const settings = policy.variability;
  const base = usage.numbers[policy.percentile];
  const high = usage.numbers[settings.percentile];
  const ratio = base > 0 ? high / base : 1;
  const raw = ratio * settings.headroom;
  const variable = clampMargin(raw, settings);
  const variability = { percentile: settings.percentile, ratio: round(ratio, 4) };
  const arithmetic = `${settings.percentile} ${describeQuantity(usage.quantity(settings.percentile), "cpu")} ÷ ${policy.percentile} ${describeQuantity(usage.quantity(policy.percentile), "cpu")} × ${settings.headroom} = ${round(raw, 3)}, within ${settings.min}–${settings.max}`;
  const floor = ratings.withoutSpread;
  const byEvidence = ratingMargin(floor, context);
  if (floor !== "SAFE" && byEvidence > variable) {
    return { margin: byEvidence, from: "rating", variability, sentence: `cpu ${byEvidence} (${floor}; above its variability margin ${variable}: ${arithmetic})` };
  }
  return { margin: variable, from: "variability", variability, sentence: `cpu ${variable} (variability: ${arithmetic})` };
}

/** clamp(raw, min, max), rounded up to 0.01. */
function clampMargin(raw: number, bounds: { min: number; max: number }): number {
  return Math.min(bounds.max, Math.max(bounds.min, Math.ceil(raw * 100 - 1e-9) / 100));
}

/**
 * SPEC §5 memory margin. After OOM kills the OOM rule alone sizes it (no margin stacked on it).
 * Otherwise, from the container's own variability (policy recommend.memory.margin: variability,
 * the default for continuous workloads with series): the larger of max ÷ p99 (how far the peak
 * stands out) and the drift of the daily peaks over the trend horizon when they rise at all
 * ((max + slope × horizon) ÷ max, the slope need not be significant), × headroom, within min–max,
 * and at least the rating's margin when memory evidence rates it above SAFE. Without series (no
 * slope to read) or for Jobs, the rating's margin.
 */
function memoryMargin(rating: SafetyRating, container: ContainerObservation, usage: Usage, trend: TrendAnalysis | undefined, context: WorkloadContext): MarginChoice {
  if (container.oomKills.length > 0) return { margin: 1, from: "oom-rule", sentence: "memory none (the OOM rule is not stacked with a margin)" };
  const byRating = ratingMargin(rating, context);
  const policy = context.recommend.memory;
  const rated: MarginChoice = { margin: byRating, from: "rating", sentence: `memory ${byRating} (${rating})` };
  if (context.runs || context.isJob || policy.margin === "rating" || trend?.slopePerDay === undefined) return rated;
  const settings = policy.variability;
  const peak = usage.numbers[policy.percentile];
  const low = usage.numbers[settings.percentile];
  const spread = low > 0 ? peak / low : 1;
  const rise = Math.max(0, trend.slopePerDay) * (context.recommend.trend.horizon.seconds / DAY);
  const drift = peak > 0 ? (peak + rise) / peak : 1;
  const raw = Math.max(spread, drift) * settings.headroom;
  const variable = clampMargin(raw, settings);
  const variability = { percentile: settings.percentile, ratio: round(spread, 4), drift: round(drift, 4) };
  const ratio = `${policy.percentile} ${describeQuantity(usage.quantity(policy.percentile), "memory")} ÷ ${settings.percentile} ${describeQuantity(usage.quantity(settings.percentile), "memory")} = ${round(spread, 3)}`;
  const larger =
    trend.slopePerDay > 0
      ? `max(${ratio}, drift ${describeRate(trend.slopePerDay, "memory")} × ${context.recommend.trend.horizon.text} = ${round(drift, 3)})`
      : `${ratio} (daily peaks not rising)`;
  const arithmetic = `${larger} × ${settings.headroom} = ${round(raw, 3)}, within ${settings.min}–${settings.max}`;
  if (rating !== "SAFE" && byRating > variable) {
    return { margin: byRating, from: "rating", variability, sentence: `memory ${byRating} (${rating}; above its variability margin ${variable}: ${arithmetic})` };
  }
  return { margin: variable, from: "variability", variability, sentence: `memory ${variable} (variability: ${arithmetic})` };
}

/** The statistic a request is sized from: recommend.cpu.jobPercentile of the per-run peaks for a Job's CPU, else the resource's percentile. */
function sizingPercentile(resource: ResourceName, context: WorkloadContext): Percentile {
  return resource === "cpu" && context.runs ? context.recommend.cpu.jobPercentile : context.recommend[resource].percentile;
}

function trendsOf(container: ContainerObservation, context: WorkloadContext): { cpu?: TrendAnalysis; memory?: TrendAnalysis } {
  if (context.runs || !container.series) return {};
  const analyse = (resource: ResourceName) => {
    const points = container.series![resource] as readonly SeriesPoint[];
    return points.length > 0 ? analyseTrend(points, resource, context.windowEnd, context.recommend.trend) : undefined;
  };
  return { cpu: analyse("cpu"), memory: analyse("memory") };
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
  /** For a change: up (or newly set) or down. */
  direction?: "up" | "down";
  heldByHpa: boolean;
  derivation: Derivation;
  /** The reason sentence of the change, or of why the request is kept. */
  sentence: string;
  /** `p95 180m × 1.05 = 189m; rounded up to 190m`. */
  how: string;
  /** Why the data justify an increase, for the attention line. */
  justification?: string;
  /** Evidence said before the request's sentence (a step change, a trend). */
  notes: string[];
  /** The OOM rule's value, which a memory limit is raised to (SPEC §5). */
  oomBump?: Quantity;
}

/** Sizes one request and decides whether the change is material (hysteresis) and allowed (HPA). */
function planRequest(
  resource: ResourceName,
  container: ContainerObservation,
  current: CurrentResources,
  usage: Usage,
  margin: MarginChoice,
  trend: TrendAnalysis | undefined,
  context: WorkloadContext,
): PlannedRequest {
  const policy = context.recommend;
  const notes: string[] = [];
  const show = (value: Quantity) => describeQuantity(value, resource);
  const percentile = sizingPercentile(resource, context);
  const step = trend?.step;
  // SPEC §5: after a step change (a release mid-window) the statistic is taken from the part after it.
  const statistic = step ? statisticAfterStep(trend!, usage, percentile) : usage.quantity(percentile);
  const observedMax = step ? statisticAfterStep(trend!, usage, "max") : usage.quantity("max");
  if (step) {
    notes.push(
      `${resource} step change at ${describeTime(new Date(step.at * 1000).toISOString())}: 24h mean ${describeQuantity(quantityFromNumber(step.before), resource)} → ${describeQuantity(quantityFromNumber(step.after), resource)}; sized from the ${describeDuration(step.secondsAfter)} after it (${percentile} ${show(statistic)}, from the series)`,
    );
  }
  const growing = trend?.growing === true ? trend : undefined;
  const horizon = policy.trend.horizon;
  // The growth over the horizon, rounded to a whole nano-unit (not up: it is an estimate), on top of the statistic.
  const growth = growing ? { nanos: (perDayNanos(growing.slopePerDay!, resource) * BigInt(horizon.seconds)) / BigInt(DAY) } : undefined;
  const projected = growth ? addQuantities(resource === "memory" ? observedMax : statistic, growth) : undefined;
  const slope = growing ? `${describeRate(growing.slopePerDay!, resource)} × ${horizon.text}` : "";
  if (growing) {
    notes.push(
      resource === "memory"
        ? `memory grows ${describeRate(growing.slopePerDay!, "memory")}: likely a leak (Theil–Sen slope of ${plural(growing.days, "daily peak")}, Mann–Kendall z ${round(growing.z, 1)}); memory is not lowered while it grows, and the request covers the projected peak over ${horizon.text}`
        : `CPU ${percentile} grows ${describeRate(growing.slopePerDay!, "cpu")} (Theil–Sen slope of ${plural(growing.days, "daily peak")}, Mann–Kendall z ${round(growing.z, 1)}); the request covers the projection over ${horizon.text}`,
    );
  }

  const currentRequest = effectiveRequest(current, resource);
  const rules = resource === "memory" ? memoryRules(container, current, observedMax, projected, slope, policy) : cpuRules(container, current, policy);
  const oomBump = rules.oomBump;
  // CPU grows into its projection before the margin; memory's projected peak is a floor like the observed max.
  const base = resource === "cpu" && projected ? projected : statistic;
  const sizing = sizeRequest(
    { resource, percentile, statistic: base, margin: margin.margin, current: currentRequest, floor: rules.floor, raiseTo: rules.raiseTo, neverDecrease: rules.neverDecrease },
    policy,
  );
  const derivation: Derivation = {
    percentile,
    observed: canonical(statistic, resource),
    margin: margin.margin,
    target: canonical(sizing.target, resource),
    computed: canonical(sizing.computed, resource),
    marginFrom: margin.from,
  };
  // Optional members assigned in the record's order (not spread: this runs twice per container).
  if (margin.variability) derivation.variability = margin.variability;
  if (step) derivation.step = { at: new Date(step.at * 1000).toISOString(), before: step.before, after: step.after, secondsAfter: step.secondsAfter };
  if (trend && trend.slopePerDay !== undefined) {
    derivation.trend = {
      slopePerDay: round(trend.slopePerDay, 6),
      days: trend.days,
      z: round(trend.z, 3),
      growing: trend.growing,
      horizon: horizon.text,
      projected: projected ? canonical(projected, resource) : null,
    };
  }
  const statisticText = `${percentile}${step ? " after the step" : ""} ${show(statistic)}`;
  const start = resource === "cpu" && projected ? `${statisticText} + ${slope} = ${show(projected)}; × ${margin.margin}` : `${statisticText} × ${margin.margin}`;
  let how = `${start} = ${show(sizing.target)}`;
  for (const said of sizing.steps) how += `; ${said}`;
  const writtenRequest = current.written.requests[resource];
  const label = LABELS[resource];
  const keep = (sentence: string, heldByHpa = false): PlannedRequest => {
    const kept: PlannedRequest = { resource, value: currentRequest, written: writtenRequest, changed: false, heldByHpa, derivation, sentence, how, notes };
    if (oomBump) kept.oomBump = oomBump;
    return kept;
  };

  if (current.requests[resource] !== undefined && compareQuantities(sizing.computed, current.requests[resource]) === 0) {
    return keep(`${label} stays ${writtenRequest}: ${how}`);
  }
  const hysteresis = currentRequest === undefined ? undefined : belowChangeThreshold(resource, currentRequest, sizing, observedMax, context);
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
  const direction = currentRequest === undefined || compareQuantities(sizing.computed, currentRequest) > 0 ? "up" : "down";
  const planned: PlannedRequest = {
    resource,
    value: sizing.computed,
    written,
    changed: true,
    direction,
    heldByHpa: false,
    derivation,
    sentence: `${label} ${writtenRequest ?? "(not set)"} → ${written}${delta}: ${how}`,
    how,
    notes,
  };
  if (oomBump) planned.oomBump = oomBump;
  if (direction === "up") planned.justification = justify(resource, container, current, usage, observedMax, statistic, growing, policy, percentile);
  return planned;
}

const LABELS = { cpu: "cpu request", memory: "memory request" } as const;

/** A slope per day in nano-units, exactly: whole bytes for memory, nanocores for CPU (see analyseTrend). */
function perDayNanos(slopePerDay: number, resource: ResourceName): bigint {
  return resource === "memory" ? BigInt(Math.round(slopePerDay)) * 1_000_000_000n : BigInt(Math.round(slopePerDay * 1e9));
}

/** SPEC §5 direction-aware gates: a decrease past a gate keeps the current request and says why. */
function holdDecrease(request: PlannedRequest, current: CurrentResources, gates: readonly string[]): void {
  const currentRequest = effectiveRequest(current, request.resource);
  const writtenRequest = current.written.requests[request.resource];
  request.sentence = `${request.resource} request held at ${writtenRequest ?? "(not set)"} instead of ${request.written} (${request.how}): decreases are held (${gates.join("; ")})`;
  request.value = currentRequest;
  request.written = writtenRequest;
  request.changed = false;
  request.direction = undefined;
}

/** What in the observed data calls for an increase (SPEC §5: OOM kills, usage above the request, throttling, growth). */
function justify(
  resource: ResourceName,
  container: ContainerObservation,
  current: CurrentResources,
  usage: Usage,
  observedMax: Quantity,
  statistic: Quantity,
  growing: TrendAnalysis | undefined,
  policy: RecommendPolicy,
  percentile: Percentile,
): string {
  const request = effectiveRequest(current, resource);
  if (resource === "memory") {
    if (container.oomKills.length > 0) return `it was OOM-killed (${describeOomKills(container)})`;
    if (request && compareQuantities(observedMax, request) > 0) return `its usage is above the request (max ${describeQuantity(observedMax, "memory")} > ${current.written.requests.memory ?? current.written.limits.memory})`;
    if (growing) return `its memory grows ${describeRate(growing.slopePerDay!, "memory")}`;
  } else {
    if (request && compareQuantities(statistic, request) > 0) return `its usage is above the request (${percentile} ${describeQuantity(statistic, "cpu")} > ${current.written.requests.cpu ?? current.written.limits.cpu})`;
    if (container.throttledRatio > policy.safety.caution.throttledRatioAbove) return `it was throttled in ${describeRatio(container.throttledRatio)} of CPU periods`;
    if (growing) return `its CPU grows ${describeRate(growing.slopePerDay!, "cpu")}`;
    if (request && compareQuantities(usage.quantity("max"), request) > 0) return `its usage peaks above the request (max ${describeQuantity(usage.quantity("max"), "cpu")})`;
  }
  return "the margin over its usage needs more than the request";
}

function attentionLine(
  increases: readonly PlannedRequest[],
  container: ContainerObservation,
  current: CurrentResources,
  gates: readonly string[],
  decreasesHeld: boolean,
): string {
  const raised = increases.map((request) => `${request.resource} ${current.written.requests[request.resource] ?? "(not set)"} → ${request.written} because ${request.justification}`).join("; ");
  const oom = container.oomKills.length > 0 ? "; find out why it is OOM-killed (a leak, a traffic spike, a limit set too low)" : "";
  return `needs attention: ${gates.join("; ")}; proposed at once: ${raised}${decreasesHeld ? "; decreases stay held" : ""}${oom}`;
}

/** The recommended values, limits, summary and change of the planned requests (limits follow the final requests). */
function finish(plan: readonly PlannedRequest[], current: CurrentResources, context: WorkloadContext, reasons: string[]) {
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
      {
        resource,
        currentRequest: effectiveRequest(current, resource),
        currentLimit: current.limits[resource],
        newRequest: request.value,
        guaranteed: context.guaranteed,
        oomBump: request.oomBump,
      },
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
  return {
    recommended,
    derivation: { cpu: plan[0]!.derivation, memory: plan[1]!.derivation },
    change: {
      cpu: changePercent(effectiveRequest(current, "cpu"), plan[0]!.value),
      memory: changePercent(effectiveRequest(current, "memory"), plan[1]!.value),
    },
    changed,
    summary: summary.join(", "),
    delta: { cpu: deltaOf(plan[0]!, current), memory: deltaOf(plan[1]!, current) },
  };
}

function deltaOf(request: PlannedRequest, current: CurrentResources): number {
  const now = effectiveRequest(current, request.resource)?.nanos ?? 0n;
  return Number((request.value?.nanos ?? 0n) - now) / 1e9;
}

/**
 * After a step change the snapshot's statistics mix both levels. The series after the step
 * holds hourly p95 and max: the max after the step is exact (the largest hourly max). A
 * percentile is mapped through the hourly p95 values: the window's statistic sits at some rank
 * among the window's hourly p95 values, and the value at the same rank among those after the step
 * is the estimate (it keeps the workload's shape, e.g. a daily cycle, and moves it to the new level).
 */
function statisticAfterStep(trend: TrendAnalysis, usage: Usage, percentile: Percentile): Quantity {
  if (percentile === "max") return quantityFromNumber(Math.max(...trend.points.map((point) => point[2])));
  const whole = trend.series.map((point) => point[1]).sort((a, b) => a - b);
  const after = trend.points.map((point) => point[1]).sort((a, b) => a - b);
  const statistic = usage.numbers[percentile];
  const top = whole[whole.length - 1]!;
  if (statistic >= top) return quantityFromNumber(top > 0 ? (statistic / top) * after[after.length - 1]! : statistic);
  return quantityFromNumber(quantile(after, rankOf(whole, statistic)));
}

/** Where a value sits among sorted values, as a fraction 0–1 interpolated between ranks (the inverse of quantile). */
function rankOf(sorted: readonly number[], value: number): number {
  if (sorted.length < 2 || value <= sorted[0]!) return 0;
  for (let index = 1; index < sorted.length; index++) {
    if (value <= sorted[index]!) {
      const low = sorted[index - 1]!;
      const fraction = sorted[index]! > low ? (value - low) / (sorted[index]! - low) : 1;
      return (index - 1 + fraction) / (sorted.length - 1);
    }
  }
  return 1;
}

/** What bounds a request besides percentile × margin (SPEC §5): floors, values to reach, why it must not go down. */
interface Rules {
  floor?: Raise;
  raiseTo?: Raise[];
  neverDecrease?: string;
  /** The OOM rule's value, which a memory limit is raised to. */
  oomBump?: Quantity;
}

const NO_RULES: Rules = {};

function cpuRules(container: ContainerObservation, current: CurrentResources, policy: RecommendPolicy): Rules {
  const limit = current.limits.cpu;
  if (!limit || container.throttledRatio <= policy.throttlingHoldRatio) return NO_RULES;
  return {
    neverDecrease: `CPU was throttled in ${roundPercent(container.throttledRatio * 100)}% of periods under the CPU limit ${current.written.limits.cpu} (above ${roundPercent(policy.throttlingHoldRatio * 100)}%, CPU is never lowered)`,
  };
}

function memoryRules(container: ContainerObservation, current: CurrentResources, observedMax: Quantity, projected: Quantity | undefined, slope: string, policy: RecommendPolicy): Rules {
  const rules: Rules = { floor: { value: observedMax, why: () => `memory is never below the observed max ${describeQuantity(observedMax, "memory")}` } };
  const kills = container.oomKills;
  if (kills.length === 0 && !projected) return rules;
  const raiseTo: Raise[] = [];
  const holds: string[] = [];
  if (kills.length > 0) {
    const candidates: [Quantity | undefined, string][] = [
      [current.limits.memory, "the current limit"],
      [current.requests.memory, "the current request"],
      [observedMax, "the observed max"],
    ];
    const [used, what] = candidates
      .filter((candidate): candidate is [Quantity, string] => candidate[0] !== undefined)
      .reduce((best, next) => (compareQuantities(next[0], best[0]) > 0 ? next : best));
    const bump = oomTarget(used, policy);
    raiseTo.push({
      value: bump,
      why: () => `the OOM rule max(used + ${describeQuantity(policy.oomBump.memory, "memory")}, used × ${policy.oomBump.factor}) with used = ${describeQuantity(used, "memory")} (${what})`,
    });
    holds.push(describeOomKills(container));
    rules.oomBump = bump;
  }
  if (projected) {
    raiseTo.push({ value: projected, why: () => `the projected peak over ${policy.trend.horizon.text}: max ${describeQuantity(observedMax, "memory")} + ${slope}` });
    holds.push("memory grows");
  }
  rules.raiseTo = raiseTo;
  rules.neverDecrease = holds.join("; ");
  return rules;
}

/**
 * SPEC §5 hysteresis: a change is proposed only when it is at least minChangePercent and at
 * least minChange (10% and 10m CPU / 16Mi memory). Never applied when the current value is
 * outside the policy bounds or (memory) below the observed max: those changes are corrections.
 * Returns why the change is too small, or undefined when it is material.
 */
function belowChangeThreshold(resource: ResourceName, current: Quantity, sizing: Sizing, observedMax: Quantity, context: WorkloadContext): string | undefined {
  const policy = context.recommend;
  const bounds = policy.bounds[resource];
  if (current.nanos === 0n || compareQuantities(current, bounds.min) < 0 || compareQuantities(current, bounds.max) > 0) return undefined;
  if (resource === "memory" && compareQuantities(current, observedMax) < 0) return undefined;
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

/** Hard gates hold every change; soft gates (low confidence, waiting for runs) hold decreases only. */
function holdReasons(confidence: Confidence, context: WorkloadContext): { hard: string[]; soft: string[] } {
  if (context.gates.length > 0) return { hard: [...context.gates], soft: [] };
  if (context.dataGates.length > 0) return { hard: [], soft: [...context.dataGates] };
  if (confidenceAtLeast(confidence.level, context.apply.minConfidence)) return { hard: [], soft: [] };
  return { hard: [], soft: [`waiting for data: confidence ${confidence.level} (${confidence.score}) is below the policy minimum ${context.apply.minConfidence} (apply.minConfidence)`] };
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

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
