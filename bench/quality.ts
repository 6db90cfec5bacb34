/**
 * The quality benchmark's parts (issue 13): generated usage traces of the archetypes platform
 * teams meet, re-implementations of two peer formulas, and the scoring of each strategy on the
 * week after its recommendation. `bench/quality.bench.ts` runs it at full size; a test runs a
 * few traces to keep the scoring honest.
 *
 * Every trace is 14 days of 5-minute samples: the first 7 are observed, the next 7 scored.
 * Strategies:
 * - rightsize through `rightsize backtest`'s own code (observation of the trace, the engine):
 *   the default policy, and the default with the decrease cap lifted (maxDecreasePercent: 100:
 *   the steady state after the stepwise cuts).
 * - KRR's simple strategy (robusta-dev/krr `simple`): CPU = p95 of the samples, no margin;
 *   memory = max + 15%; at least 10m / 100Mi; memory limit = memory request, no CPU limit.
 * - The VPA recommender (kubernetes/autoscaler `vertical-pod-autoscaler/pkg/recommender`):
 *   decaying histograms (half-life 24h, exponential buckets growing 5% from 10m and 10MB, a
 *   percentile is the end of its bucket); CPU = p90 of the samples, memory = p90 of the 24h
 *   peaks (an OOM kill adds max(used + 100Mi, used × 1.2) to its interval, used = max(request,
 *   the interval's peak)), both + 15%; at least 25m / 250Mi per pod, split evenly among its
 *   containers; limits keep their ratio to the request (RequestsAndLimits).
 *
 * Scored on the following week: savings (Σ current − new over Σ current, × replicas), the share
 * of samples above the new CPU and memory requests, containers with a sample above the new memory
 * limit (OOM risk), and memory cuts on leaking or OOM-killed containers. The throttled
 * archetype's scored week holds its demand (what the container would use without the limit).
 */
import { observeTrace, replayOfTrace, runBacktest, scoreReplay, sizingOf, traceWindow, type ContainerResult, type ReplayScore, type ReplaySizing } from "../src/backtest/index.js";
import { quantile, type TraceContainer, type TraceWorkload, type UsageTrace } from "../src/domain/index.js";
import { CURRENT_API_VERSION, POLICY_KIND } from "../src/policy/index.js";
import { PolicyV1alpha2Schema } from "../src/policy/schema.js";
import { TOOL } from "../src/version.js";
import { random } from "./random.js";

export const ARCHETYPES = [
  "steady",
  "diurnal",
  "weekly",
  "bursty",
  "batch",
  "leak",
  "jvm",
  "release",
  "growing",
  "idle",
  "throttled",
  "oom",
  "cronjob",
  "sidecar",
] as const;
export type Archetype = (typeof ARCHETYPES)[number];

export const STRATEGIES = ["rightsize (default)", "rightsize (no decrease cap)", "KRR simple", "VPA recommender"] as const;
export type Strategy = (typeof STRATEGIES)[number];

const STEP = 300;
const HOUR = 3600;
const DAY = 86_400;
const WEEK = 7 * DAY;
const STEPS = (14 * DAY) / STEP;
const OBSERVED = STEPS / 2;
const MI = 1024 ** 2;
const GI = 1024 ** 3;
/** A Monday; each trace shifts its clock by a random number of hours so weekly phases differ. */
const START = Date.parse("2026-11-02T00:00:00Z") / 1000;

class Dice {
  constructor(readonly next: () => number) {}
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }
  logUniform(low: number, high: number): number {
    return Math.exp(this.uniform(Math.log(low), Math.log(high)));
  }
  integer(low: number, high: number): number {
    return Math.floor(this.uniform(low, high + 1));
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)]!;
  }
}

/** The container's demand at every step; `observed` is what the first week measured (throttling, OOM kills cap it). */
interface GeneratedContainer {
  name: string;
  cpu: Array<number | null>;
  memory: Array<number | null>;
  observedCpu?: Array<number | null>;
  observedMemory?: Array<number | null>;
  throttled?: number[];
  oomKills?: number[];
  current?: { requests: { cpu?: string; memory?: string }; limits: { cpu?: string; memory?: string } };
  leaking?: boolean;
}

export interface GeneratedTrace {
  archetype: Archetype;
  workload: TraceWorkload;
  /** Container name → the label the score needs. */
  leaking: ReadonlySet<string>;
}

const time = (index: number) => START + index * STEP;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
const milli = (cores: number) => `${Math.max(1, Math.round(cores * 1000))}m`;
const mebi = (bytes: number) => `${Math.max(1, Math.round(bytes / MI))}Mi`;

function series(length: number, value: (index: number) => number | null): Array<number | null> {
  return Array.from({ length }, (_, index) => {
    const sample = value(index);
    return sample === null ? null : Math.max(0, sample);
  });
}

function observedPart(values: ReadonlyArray<number | null>): number[] {
  const result: number[] = [];
  for (let index = 0; index < OBSERVED; index++) if (values[index] !== null) result.push(values[index]!);
  return result;
}

/** quantile_over_time's φ-quantile of unsorted values; 0 when there are none. */
function quantileOf(values: readonly number[], phi: number): number {
  return values.length === 0 ? 0 : quantile([...values].sort((a, b) => a - b), phi);
}

/** Requests a team might have written: mostly generous (1.3–4× p95 CPU, 1.2–3× peak memory), one in five too small. */
function currentFor(dice: Dice, container: GeneratedContainer): NonNullable<GeneratedContainer["current"]> {
  const cpu = observedPart(container.observedCpu ?? container.cpu);
  const memory = observedPart(container.observedMemory ?? container.memory);
  const cpuRequest = quantileOf(cpu, 0.95) * (dice.chance(0.8) ? dice.uniform(1.3, 4) : dice.uniform(0.6, 1));
  const peak = Math.max(...memory);
  const memoryRequest = peak * (dice.chance(0.8) ? dice.uniform(1.2, 3) : dice.uniform(0.7, 1.05));
  const limits: { memory?: string } = {};
  const roll = dice.next();
  // A limit below the peak would have OOM-killed the container; only the oom archetype has kills.
  if (roll < 0.3) limits.memory = mebi(Math.max(memoryRequest * dice.uniform(1, 2), peak * 1.1));
  else if (roll < 0.5) limits.memory = mebi(Math.max(memoryRequest, peak * 1.1));
  return { requests: { cpu: milli(Math.max(cpuRequest, 0.005)), memory: mebi(memoryRequest) }, limits };
}

const weekday = (index: number, offsetHours: number) => Math.floor(((time(index) - START) / HOUR + offsetHours) / 24) % 7;
const hourOfDay = (index: number, offsetHours: number) => (((time(index) - START) / HOUR + offsetHours) % 24 + 24) % 24;
const diurnal = (index: number, offsetHours: number) => Math.sin((2 * Math.PI * (hourOfDay(index, offsetHours) - 9)) / 24);

function noisy(dice: Dice, level: number, cv: number): number {
  return level * (1 + cv * dice.normal());
}

/** A Poisson process of events: each step starts one with probability rate × step. */
function events(dice: Dice, perDay: number, length: (dice: Dice) => number): boolean[] {
  const active = Array.from({ length: STEPS }, () => false);
  for (let index = 0; index < STEPS; index++) {
    if (dice.chance((perDay * STEP) / DAY)) {
      const steps = length(dice);
      for (let offset = 0; offset < steps && index + offset < STEPS; offset++) active[index + offset] = true;
    }
  }
  return active;
}

function generateContainers(archetype: Archetype, dice: Dice): { kind: "Deployment" | "CronJob"; containers: GeneratedContainer[] } {
  const offset = dice.integer(0, 167);
  const cpuLevel = dice.logUniform(0.05, 2);
  const memoryLevel = dice.logUniform(100 * MI, 4 * GI);
  const steadyMemory = (level = memoryLevel) => series(STEPS, () => noisy(dice, level, 0.01));
  switch (archetype) {
    case "steady": {
      const cv = dice.uniform(0.05, 0.3);
      return { kind: "Deployment", containers: [{ name: "app", cpu: series(STEPS, () => noisy(dice, cpuLevel, cv)), memory: steadyMemory() }] };
    }
    case "diurnal":
    case "weekly": {
      const amplitude = dice.uniform(0.3, 0.8);
      const cv = dice.uniform(0.05, 0.2);
      const weekend = archetype === "weekly" ? dice.uniform(0.3, 0.7) : 1;
      const factor = (index: number) => (1 + amplitude * diurnal(index, offset)) * (weekday(index, offset) >= 5 ? weekend : 1);
      return {
        kind: "Deployment",
        containers: [
          {
            name: "app",
            cpu: series(STEPS, (index) => noisy(dice, cpuLevel * factor(index), cv)),
            memory: series(STEPS, (index) => noisy(dice, memoryLevel * (1 + 0.08 * diurnal(index, offset)), 0.01)),
          },
        ],
      };
    }
    case "bursty": {
      const height = dice.uniform(2, 6);
      const bursts = events(dice, dice.uniform(2, 12), (d) => d.integer(1, 6));
      // Sizes comparable across archetypes: the bursts reach the level a steady container runs at.
      const base = cpuLevel / height;
      return {
        kind: "Deployment",
        containers: [
          {
            name: "app",
            cpu: series(STEPS, (index) => noisy(dice, base * (bursts[index] ? height : 1), 0.15)),
            memory: series(STEPS, (index) => noisy(dice, memoryLevel * (bursts[index] ? 1.1 : 1), 0.01)),
          },
        ],
      };
    }
    case "batch": {
      const period = dice.pick([1, 2, 4, 6, 12]) * HOUR;
      const duration = dice.integer(2, 8) * STEP;
      const cpuFactor = dice.uniform(3, 8);
      const memoryFactor = dice.uniform(1.2, 1.8);
      const phase = dice.integer(0, period / STEP - 1) * STEP;
      const running = (index: number) => (time(index) - START + phase) % period < duration;
      return {
        kind: "Deployment",
        containers: [
          {
            name: "app",
            cpu: series(STEPS, (index) => noisy(dice, (cpuLevel / cpuFactor) * (running(index) ? cpuFactor : 1), 0.15)),
            memory: series(STEPS, (index) => noisy(dice, memoryLevel * (running(index) ? memoryFactor : 1), 0.01)),
          },
        ],
      };
    }
    case "leak": {
      const start = dice.logUniform(300 * MI, 1.5 * GI);
      const growth = start * dice.uniform(0.03, 0.12);
      return {
        kind: "Deployment",
        containers: [
          {
            name: "app",
            cpu: series(STEPS, () => noisy(dice, cpuLevel, 0.15)),
            memory: series(STEPS, (index) => noisy(dice, (start + (growth * (time(index) - START)) / DAY) * (1 + 0.03 * diurnal(index, offset)), 0.01)),
            leaking: true,
          },
        ],
      };
    }
    case "jvm": {
      const heap = dice.logUniform(512 * MI, 4 * GI);
      const cycle = dice.integer(2, 12) * STEP;
      const phase = dice.integer(0, 11) * STEP;
      return {
        kind: "Deployment",
        containers: [
          {
            name: "app",
            cpu: series(STEPS, (index) => noisy(dice, (cpuLevel / 2) * ((time(index) + phase) % cycle < STEP ? 2 : 1), 0.2)),
            memory: series(STEPS, (index) => heap * (0.75 + (0.2 * (((time(index) + phase) % cycle) + STEP)) / cycle) * (1 + 0.005 * dice.normal())),
          },
        ],
      };
    }
    case "release": {
      const at = dice.integer(12 * 12, 6 * 24 * 12);
      const up = dice.chance(0.5);
      const cpuFactor = up ? dice.uniform(1.25, 1.8) : dice.uniform(0.5, 0.8);
      const memoryFactor = up ? dice.uniform(1.25, 1.8) : dice.uniform(0.5, 0.8);
      const amplitude = dice.uniform(0.2, 0.6);
      return {
        kind: "Deployment",
        containers: [
          {
            name: "app",
            cpu: series(STEPS, (index) => noisy(dice, cpuLevel * (index >= at ? cpuFactor : 1) * (1 + amplitude * diurnal(index, offset)), 0.1)),
            memory: series(STEPS, (index) => noisy(dice, memoryLevel * (index >= at ? memoryFactor : 1), 0.01)),
          },
        ],
      };
    }
    case "growing": {
      const weekly = dice.uniform(0.1, 0.3);
      const amplitude = dice.uniform(0.2, 0.6);
      const grown = (index: number, rate: number) => (1 + rate) ** ((time(index) - START) / WEEK);
      return {
        kind: "Deployment",
        containers: [
          {
            name: "app",
            cpu: series(STEPS, (index) => noisy(dice, cpuLevel * grown(index, weekly) * (1 + amplitude * diurnal(index, offset)), 0.1)),
            memory: series(STEPS, (index) => noisy(dice, memoryLevel * grown(index, weekly / 3), 0.01)),
          },
        ],
      };
    }
    case "idle": {
      const level = dice.uniform(0.001, 0.005);
      const memory = dice.uniform(20 * MI, 80 * MI);
      const container: GeneratedContainer = {
        name: "app",
        cpu: series(STEPS, () => noisy(dice, level, 0.3)),
        memory: series(STEPS, () => noisy(dice, memory, 0.01)),
      };
      container.current = { requests: { cpu: milli(dice.uniform(0.1, 0.5)), memory: mebi(dice.uniform(128 * MI, GI)) }, limits: {} };
      return { kind: "Deployment", containers: [container] };
    }
    case "throttled": {
      const amplitude = dice.uniform(0.3, 0.6);
      const demand = series(STEPS, (index) => noisy(dice, cpuLevel * (1 + amplitude * diurnal(index, offset)), 0.2));
      const limit = quantileOf(observedPart(demand), dice.uniform(0.7, 0.9));
      const request = limit * dice.uniform(0.5, 1);
      const observedCpu = demand.map((value, index) => (index < OBSERVED && value !== null ? Math.min(value, limit) : value));
      const throttled = demand.map((value) => ((value ?? 0) > limit * 0.95 ? dice.uniform(0.3, 0.9) : dice.uniform(0, 0.05)));
      const memory = steadyMemory();
      const peak = Math.max(...observedPart(memory));
      return {
        kind: "Deployment",
        containers: [
          {
            name: "app",
            cpu: demand,
            observedCpu,
            memory,
            throttled,
            current: { requests: { cpu: milli(request), memory: mebi(peak * dice.uniform(1.1, 2)) }, limits: { cpu: milli(limit) } },
          },
        ],
      };
    }
    case "oom": {
      const limit = dice.logUniform(256 * MI, 2 * GI);
      const baseline = limit * dice.uniform(0.5, 0.75);
      const spikes = events(dice, dice.uniform(0.2, 1.2), (d) => d.integer(1, 3));
      const height = spikes.map(() => dice.uniform(1.3, 2));
      const memory = series(STEPS, (index) => noisy(dice, baseline * (spikes[index] ? height[index]! : 1), 0.01));
      const observedMemory = memory.map((value, index) => (index < OBSERVED && value !== null ? Math.min(value, limit) : value));
      const oomKills: number[] = [];
      for (let index = 0; index < OBSERVED; index++) if ((memory[index] ?? 0) > limit && !((memory[index - 1] ?? 0) > limit)) oomKills.push(index);
      return {
        kind: "Deployment",
        containers: [
          {
            name: "app",
            cpu: series(STEPS, () => noisy(dice, cpuLevel, 0.15)),
            memory,
            observedMemory,
            oomKills,
            current: { requests: { cpu: milli(cpuLevel * dice.uniform(1.2, 3)), memory: mebi(limit * dice.uniform(0.5, 1)) }, limits: { memory: mebi(limit) } },
          },
        ],
      };
    }
    case "cronjob": {
      const period = dice.pick([1, 2, 4, 6, 12, 24]) * HOUR;
      const duration = dice.integer(1, 10) * STEP;
      const phase = dice.integer(0, period / STEP - 1) * STEP;
      const runOf = (index: number) => Math.floor((time(index) - START + phase) / period);
      const running = (index: number) => (time(index) - START + phase) % period < duration;
      const scale = new Map<number, number>();
      const runScale = (index: number) => {
        const run = runOf(index);
        if (!scale.has(run)) scale.set(run, dice.uniform(0.8, 1.2));
        return scale.get(run)!;
      };
      return {
        kind: "CronJob",
        containers: [
          {
            name: "job",
            cpu: series(STEPS, (index) => (running(index) ? noisy(dice, cpuLevel * runScale(index), 0.15) : null)),
            memory: series(STEPS, (index) => (running(index) ? memoryLevel * runScale(index) * (0.6 + (0.4 * ((time(index) - START + phase) % period)) / duration) : null)),
          },
        ],
      };
    }
    case "sidecar": {
      const sidecarCpu = dice.logUniform(0.005, 0.05);
      const sidecarMemory = dice.logUniform(30 * MI, 120 * MI);
      const sidecar: GeneratedContainer = {
        name: "proxy",
        cpu: series(STEPS, () => noisy(dice, sidecarCpu, 0.3)),
        memory: series(STEPS, () => noisy(dice, sidecarMemory, 0.05)),
      };
      const peak = Math.max(...observedPart(sidecar.memory));
      const undersized = dice.chance(0.5);
      sidecar.current = {
        requests: { cpu: milli(sidecarCpu * (undersized ? dice.uniform(0.5, 0.9) : dice.uniform(1.5, 5))), memory: mebi(peak * (undersized ? dice.uniform(0.6, 0.9) : dice.uniform(1.5, 4))) },
        limits: {},
      };
      return { kind: "Deployment", containers: [{ name: "app", cpu: series(STEPS, () => noisy(dice, cpuLevel, 0.15)), memory: steadyMemory() }, sidecar] };
    }
  }
}

/** One workload of an archetype, deterministic in (archetype, index). */
export function generateTrace(archetype: Archetype, index: number): GeneratedTrace {
  const dice = new Dice(random(ARCHETYPES.indexOf(archetype) * 100_003 + index * 7_919 + 17));
  const { kind, containers } = generateContainers(archetype, dice);
  const restarts = dice.chance(0.1) ? dice.integer(1, 3) : 0;
  const traced: TraceContainer[] = containers.map((container) => {
    const current = container.current ?? currentFor(dice, container);
    const kills = (container.oomKills ?? []).map((step) => ({ at: iso(time(step)), pod: `${archetype}-${index}-0` }));
    const restartTimes = [...kills.map((kill) => kill.at), ...Array.from({ length: restarts }, () => iso(time(dice.integer(0, OBSERVED - 1))))].sort();
    const cpu = (container.observedCpu ?? container.cpu).map((value, step) => (step < OBSERVED ? value : container.cpu[step]!));
    const memory = (container.observedMemory ?? container.memory).map((value, step) => (step < OBSERVED ? value : container.memory[step]!));
    return {
      name: container.name,
      current: { requests: current.requests, limits: current.limits },
      cpu,
      memory,
      ...(container.throttled ? { throttled: container.throttled } : {}),
      oomKills: kills,
      restarts: restartTimes,
    };
  });
  return {
    archetype,
    workload: { workload: { cluster: "bench", namespace: archetype, kind, name: `${archetype}-${index}` }, replicas: dice.integer(1, 6), containers: traced },
    leaking: new Set(containers.filter((container) => container.leaking).map((container) => container.name)),
  };
}

export function generateTraces(perArchetype: number): GeneratedTrace[] {
  return ARCHETYPES.flatMap((archetype) => Array.from({ length: perArchetype }, (_, index) => generateTrace(archetype, index)));
}

export function usageTrace(traces: readonly GeneratedTrace[]): UsageTrace {
  return { schemaVersion: 1, kind: "UsageTrace", start: iso(START), step: STEP, workloads: traces.map((trace) => trace.workload) };
}

// ---------------------------------------------------------------------------------------------
// Peers


/** KRR `simple`: p95 CPU, max memory + 15%, at least 10m and 100Mi; memory limit = memory request. */
export function krrSimple(container: TraceContainer): ReplaySizing {
  const cpu = observedPart(container.cpu);
  const memory = observedPart(container.memory);
  const memoryRequest = Math.max(Math.max(...memory) * 1.15, 100 * MI);
  return { cpu: Math.max(quantileOf(cpu, 0.95), 0.01), memory: memoryRequest, memoryLimit: memoryRequest };
}

/** VPA's exponential histogram: bucket i starts at first × (ratio^i − 1)/(ratio − 1). */
class DecayingHistogram {
  private readonly weights = new Map<number, number>();
  private total = 0;
  constructor(
    private readonly first: number,
    private readonly ratio = 1.05,
  ) {}
  private bucketOf(value: number): number {
    if (value < this.first) return 0;
    return Math.floor(Math.log((value * (this.ratio - 1)) / this.first + 1) / Math.log(this.ratio));
  }
  private start(bucket: number): number {
    return (this.first * (this.ratio ** bucket - 1)) / (this.ratio - 1);
  }
  add(value: number, weight: number): void {
    const bucket = this.bucketOf(value);
    this.weights.set(bucket, (this.weights.get(bucket) ?? 0) + weight);
    this.total += weight;
  }
  /** The end of the bucket where the cumulative weight reaches the percentile (VPA's Percentile). */
  percentile(phi: number): number {
    if (this.total === 0) return 0;
    const buckets = [...this.weights.keys()].sort((a, b) => a - b);
    let partial = 0;
    for (const bucket of buckets) {
      partial += this.weights.get(bucket)!;
      if (partial >= phi * this.total) return this.start(bucket + 1);
    }
    return this.start(buckets[buckets.length - 1]! + 1);
  }
}

const HALF_LIFE = DAY;
const OOM_BUMP = 100 * MI;

/** The VPA recommender's target for one container of a pod with `containers` containers. */
export function vpa(container: TraceContainer, containers: number): ReplaySizing {
  const end = time(OBSERVED);
  const decay = (at: number) => 2 ** ((at - end) / HALF_LIFE);
  const cpu = new DecayingHistogram(0.01);
  for (let index = 0; index < OBSERVED; index++) {
    const value = container.cpu[index];
    if (value !== null && value !== undefined) cpu.add(value, decay(time(index)));
  }
  const current = sizingOf(container.current);
  const kills = container.oomKills.map((kill) => Date.parse(kill.at) / 1000);
  const memory = new DecayingHistogram(1e7);
  let intervalStart: number | undefined;
  let peak = 0;
  const close = () => {
    if (intervalStart !== undefined && peak > 0) memory.add(peak, decay(intervalStart + DAY));
  };
  for (let index = 0; index < OBSERVED; index++) {
    const at = time(index);
    if (intervalStart === undefined || at >= intervalStart + DAY) {
      close();
      intervalStart = intervalStart === undefined ? at : intervalStart + Math.floor((at - intervalStart) / DAY) * DAY;
      peak = 0;
    }
    const value = container.memory[index];
    if (value !== null && value !== undefined) peak = Math.max(peak, value);
    for (const kill of kills) {
      if (kill > at - STEP && kill <= at) {
        const used = Math.max(current.memory ?? 0, peak);
        peak = Math.max(peak, Math.max(used + OOM_BUMP, used * 1.2));
      }
    }
  }
  close();
  const cpuTarget = Math.max(cpu.percentile(0.9) * 1.15, 0.025 / containers);
  const memoryTarget = Math.max(memory.percentile(0.9) * 1.15, (250 * MI) / containers);
  const sizing: ReplaySizing = { cpu: cpuTarget, memory: memoryTarget };
  if (current.memoryLimit !== undefined && current.memory) sizing.memoryLimit = current.memoryLimit * (memoryTarget / current.memory);
  return sizing;
}

// ---------------------------------------------------------------------------------------------
// Scoring

export interface ScoredContainer {
  archetype: Archetype;
  strategy: Strategy;
  current: ReplaySizing;
  recommended: ReplaySizing;
  replicas: number;
  score: ReplayScore;
  /** A leaking container, or one OOM-killed in the observed week. */
  leakOrOom: boolean;
}

function policyWith(recommend: Record<string, unknown>) {
  const extra = process.env.BENCH_RECOMMEND ? (JSON.parse(process.env.BENCH_RECOMMEND) as Record<string, unknown>) : {};
  return PolicyV1alpha2Schema.parse({ apiVersion: CURRENT_API_VERSION, kind: POLICY_KIND, recommend: { ...extra, ...recommend } });
}

/** Every strategy on every trace, scored on the second week. */
export function scoreStrategies(traces: readonly GeneratedTrace[]): ScoredContainer[] {
  const trace = usageTrace(traces);
  const window = traceWindow(trace);
  const replay = replayOfTrace(trace, window);
  const replayOf = new Map(replay.map((entry) => [`${entry.workload.name}/${entry.container}`, entry]));
  const at = (seconds: number) => new Date(seconds * 1000).toISOString();
  const report = runBacktest({
    tool: TOOL,
    observations: observeTrace(trace, window),
    replay,
    policies: [
      { policy: policyWith({}), source: { path: STRATEGIES[0], apiVersion: CURRENT_API_VERSION, sha256: "" } },
      { policy: policyWith({ maxDecreasePercent: 100 }), source: { path: STRATEGIES[1], apiVersion: CURRENT_API_VERSION, sha256: "" } },
    ],
    window: { from: at(window.from), split: at(window.split), to: at(window.to) },
  });
  const scored: ScoredContainer[] = [];
  traces.forEach((generated, index) => {
    const leakOrOom = (container: TraceContainer) => generated.leaking.has(container.name) || container.oomKills.length > 0;
    report.policies.forEach((policy, strategy) => {
      const workload = policy.workloads[index]!;
      workload.containers.forEach((result: ContainerResult, containerIndex) => {
        const container = generated.workload.containers[containerIndex]!;
        scored.push({
          archetype: generated.archetype,
          strategy: STRATEGIES[strategy]!,
          current: result.current,
          recommended: result.recommended,
          replicas: generated.workload.replicas,
          score: result.score,
          leakOrOom: leakOrOom(container),
        });
      });
    });
    for (const container of generated.workload.containers) {
      const usage = replayOf.get(`${generated.workload.workload.name}/${container.name}`)!;
      for (const [strategy, sizing] of [
        ["KRR simple", krrSimple(container)],
        ["VPA recommender", vpa(container, generated.workload.containers.length)],
      ] as const) {
        scored.push({
          archetype: generated.archetype,
          strategy,
          current: sizingOf(container.current),
          recommended: sizing,
          replicas: generated.workload.replicas,
          score: scoreReplay(sizing, usage),
          leakOrOom: leakOrOom(container),
        });
      }
    }
  });
  return scored;
}

export interface Figures {
  containers: number;
  cpuSaved: number;
  memorySaved: number;
  cpuAbove: number;
  memoryAbove: number;
  oomRisk: number;
  cutsOnLeakOrOom: number;
}

/** Savings as shares of the current requests (× replicas); shortfalls as shares of the scored samples. */
export function figures(containers: readonly ScoredContainer[]): Figures {
  let cpuCurrent = 0;
  let cpuNew = 0;
  let memoryCurrent = 0;
  let memoryNew = 0;
  let cpuSamples = 0;
  let cpuAbove = 0;
  let memorySamples = 0;
  let memoryAbove = 0;
  let oomRisk = 0;
  let cuts = 0;
  for (const entry of containers) {
    if (entry.current.cpu !== undefined) {
      cpuCurrent += entry.current.cpu * entry.replicas;
      cpuNew += (entry.recommended.cpu ?? entry.current.cpu) * entry.replicas;
    }
    if (entry.current.memory !== undefined) {
      memoryCurrent += entry.current.memory * entry.replicas;
      memoryNew += (entry.recommended.memory ?? entry.current.memory) * entry.replicas;
    }
    cpuSamples += entry.score.cpuSamples;
    cpuAbove += entry.score.cpuAbove;
    memorySamples += entry.score.memorySamples;
    memoryAbove += entry.score.memoryAbove;
    if (entry.score.aboveLimit > 0) oomRisk++;
    if (entry.leakOrOom && entry.current.memory !== undefined && (entry.recommended.memory ?? entry.current.memory) < entry.current.memory) cuts++;
  }
  return {
    containers: containers.length,
    cpuSaved: cpuCurrent > 0 ? (cpuCurrent - cpuNew) / cpuCurrent : 0,
    memorySaved: memoryCurrent > 0 ? (memoryCurrent - memoryNew) / memoryCurrent : 0,
    cpuAbove: cpuSamples > 0 ? cpuAbove / cpuSamples : 0,
    memoryAbove: memorySamples > 0 ? memoryAbove / memorySamples : 0,
    oomRisk,
    cutsOnLeakOrOom: cuts,
  };
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

export function renderFigures(label: string, rows: ReadonlyArray<[string, Figures]>): string {
  const header = [label, "CPU saved", "memory saved", "CPU > request", "memory > request", "OOM-risk containers", "memory cuts on leak/OOM"];
  const body = rows.map(([name, f]) => [name, percent(f.cpuSaved), percent(f.memorySaved), percent(f.cpuAbove), percent(f.memoryAbove), String(f.oomRisk), String(f.cutsOnLeakOrOom)]);
  const table = [header, ...body];
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  return table.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ")).join("\n");
}

export interface GoalCheck {
  met: boolean;
  lines: string[];
}

/** Issue 13's goal, measured. */
export function checkGoal(byStrategy: ReadonlyMap<Strategy, Figures>): GoalCheck {
  const lifted = byStrategy.get("rightsize (no decrease cap)")!;
  const standard = byStrategy.get("rightsize (default)")!;
  const vpaFigures = byStrategy.get("VPA recommender")!;
  const peers = [byStrategy.get("KRR simple")!, vpaFigures];
  const checks: Array<[string, boolean]> = [
    [`no decrease cap: CPU + memory savings ${percent(lifted.cpuSaved + lifted.memorySaved)} ≥ VPA's ${percent(vpaFigures.cpuSaved + vpaFigures.memorySaved)}`, lifted.cpuSaved + lifted.memorySaved >= vpaFigures.cpuSaved + vpaFigures.memorySaved],
    [`no decrease cap: CPU > request ${percent(lifted.cpuAbove)} below every peer's (${peers.map((peer) => percent(peer.cpuAbove)).join(", ")})`, peers.every((peer) => lifted.cpuAbove < peer.cpuAbove)],
    [`no decrease cap: memory > request ${percent(lifted.memoryAbove)} below every peer's (${peers.map((peer) => percent(peer.memoryAbove)).join(", ")})`, peers.every((peer) => lifted.memoryAbove < peer.memoryAbove)],
    [`no decrease cap: ${lifted.cutsOnLeakOrOom} memory cuts on leaking or OOM-killed containers`, lifted.cutsOnLeakOrOom === 0],
    [`default policy: ${standard.cutsOnLeakOrOom} memory cuts on leaking or OOM-killed containers`, standard.cutsOnLeakOrOom === 0],
  ];
  return { met: checks.every(([, ok]) => ok), lines: checks.map(([text, ok]) => `${ok ? "met " : "MISS"}  ${text}`) };
}
