/**
 * The scripted cluster of the lifecycle simulation: every workload's usage as a function of time
 * (steady, bursty, a growth step, a slow leak, spikes that OOM after a cut, a nightly job), the
 * requests and limits it runs (a merge reaches it hours later, as Argo CD or Flux would), and what
 * an observation of a window returns, computed from the same samples. Deterministic per seed.
 */
import { parseQuantity, quantile, type ObservationSnapshot, type WorkloadObservation, type WorkloadRef } from "../../src/domain/index.js";
import { random } from "../random.js";

export type Archetype = "steady" | "bursty" | "growth" | "leak" | "oom-after-cut" | "idle" | "nightly";

export interface SimWorkload {
  ref: WorkloadRef;
  container: string;
  archetype: Archetype;
  /** Baseline usage: cores and bytes. */
  cpu: number;
  memory: number;
}

export interface Resources {
  requests: { cpu?: string; memory?: string };
  limits: { cpu?: string; memory?: string };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SAMPLE = 10 * 60_000;
const MI = 1024 ** 2;

/** An OOM kill the cluster saw, and whether the workload ran a value rightsize had lowered. */
export interface OomEvent {
  key: string;
  at: number;
}

export class SimulatedCluster {
  /** What each workload runs now, and what reaches it when. */
  private readonly live = new Map<string, Resources>();
  private readonly pending = new Map<string, { at: number; resources: Resources }>();
  private readonly rolledOut = new Map<string, number[]>();
  readonly ooms: OomEvent[] = [];
  private oomChecked = 0;

  constructor(
    readonly workloads: readonly SimWorkload[],
    private readonly seed: number,
    readonly start: number,
  ) {}

  key(workload: SimWorkload): string {
    const { cluster, namespace, kind, name } = workload.ref;
    return `${cluster}/${namespace}/${kind}/${name}`;
  }

  /** The values the manifests hold at the start run from the start. */
  deploy(key: string, resources: Resources): void {
    this.live.set(key, resources);
  }

  /** A merge changed the manifests: the cluster runs the new values a few hours later. */
  schedule(key: string, resources: Resources, at: number): void {
    const current = this.live.get(key);
    if (current && sameResources(current, resources)) return;
    this.pending.set(key, { at, resources });
  }

  running(key: string): Resources | undefined {
    return this.live.get(key);
  }

  /** When the values running now reached the cluster (undefined: since the start). */
  rolloutTimes(key: string): number[] {
    return this.rolledOut.get(key) ?? [];
  }

  /** Moves the clock: rollouts that are due happen, OOM kills between the last call and `now` are recorded. */
  advance(now: number): void {
    for (let at = Math.max(this.oomChecked, this.start); at < now; at += SAMPLE) this.recordOom(at);
    this.oomChecked = Math.max(this.oomChecked, now);
    for (const [key, rollout] of this.pending) {
      if (rollout.at > now) continue;
      this.live.set(key, rollout.resources);
      this.rolledOut.set(key, [...(this.rolledOut.get(key) ?? []), rollout.at]);
      this.pending.delete(key);
    }
  }

  private recordOom(at: number): void {
    for (const workload of this.workloads) {
      if (workload.archetype === "nightly") continue;
      const key = this.key(workload);
      const limit = this.liveAt(key, at)?.limits.memory;
      if (!limit) continue;
      const usage = this.usage(workload, at);
      if (usage.memoryMax > Number(parseQuantity(limit).nanos) / 1e9 && !this.ooms.some((oom) => oom.key === key && at - oom.at < HOUR)) this.ooms.push({ key, at });
    }
  }

  /** The values a workload ran at a time (the current ones: the simulation moves forward only). */
  private liveAt(key: string, _at: number): Resources | undefined {
    return this.live.get(key);
  }

  /** One sample: usage averaged over ten minutes, and the peak inside them. */
  usage(workload: SimWorkload, at: number): { cpu: number; cpuMax: number; memory: number; memoryMax: number } {
    const rng = random(hash(this.seed, this.key(workload), Math.floor(at / SAMPLE)));
    const noise = () => rng() * 2 - 1;
    const day = (at - this.start) / DAY;
    const daily = 1 + 0.3 * Math.sin(((at % DAY) / DAY) * 2 * Math.PI);
    let cpu = workload.cpu * daily * (1 + 0.08 * noise());
    let memory = workload.memory * (1 + 0.02 * noise());
    let spike = 1.15;
    switch (workload.archetype) {
      case "bursty":
        if (rng() < 0.04) spike = 3.5;
        break;
      case "growth":
        if (day >= 14) {
          cpu *= 1.8;
          memory *= 1.5;
        }
        break;
      case "leak": {
        // Grows 25Mi a day until the pods restart with a rollout of new values.
        const since = Math.max(this.start, ...this.rolloutTimes(this.key(workload)));
        memory += ((at - since) / DAY) * 25 * MI;
        break;
      }
      case "oom-after-cut":
        // Every ten days, for an hour, a batch job more than doubles memory: a week's window can miss it.
        if (Math.floor(day) % 10 === 9 && (at % DAY) / HOUR >= 12 && (at % DAY) / HOUR < 13) memory *= 2.6;
        break;
      case "idle":
        cpu *= 0.5;
        break;
      default:
        break;
    }
    return { cpu, cpuMax: cpu * spike, memory, memoryMax: memory * 1.03 };
  }

  /** What the policy's window (from `now − seconds` to `now`) shows of the workloads, as a snapshot. */
  observe(now: number, seconds: number, namespaces?: readonly string[]): ObservationSnapshot {
    const from = Math.max(this.start, now - seconds * 1000);
    const workloads = this.workloads
      .filter((workload) => !namespaces || namespaces.includes(workload.ref.namespace))
      .map((workload) => (workload.archetype === "nightly" ? this.observeRuns(workload, from, now) : this.observeContinuous(workload, from, now)));
    return { schemaVersion: 3, kind: "ObservationSnapshot", createdAt: iso(now), workloads } as unknown as ObservationSnapshot;
  }

  private observeContinuous(workload: SimWorkload, from: number, to: number): WorkloadObservation {
    const key = this.key(workload);
    const cpu: number[] = [];
    const memory: number[] = [];
    const series: { cpu: [number, number, number][]; memory: [number, number, number][] } = { cpu: [], memory: [] };
    let bucket: { cpu: number[]; memory: number[]; start: number } = { cpu: [], memory: [], start: from };
    let throttled = 0;
    const cpuLimit = this.live.get(key)?.limits.cpu;
    for (let at = from; at < to; at += SAMPLE) {
      const sample = this.usage(workload, at);
      cpu.push(sample.cpu, sample.cpuMax);
      memory.push(sample.memory, sample.memoryMax);
      if (cpuLimit && sample.cpuMax > Number(parseQuantity(cpuLimit).nanos) / 1e9) throttled++;
      bucket.cpu.push(sample.cpu);
      bucket.memory.push(sample.memoryMax);
      if (at + SAMPLE - bucket.start >= HOUR) {
        const [cpuSorted, memorySorted] = [[...bucket.cpu].sort((a, b) => a - b), [...bucket.memory].sort((a, b) => a - b)];
        series.cpu.push([Math.floor(bucket.start / 1000), quantile(cpuSorted, 0.95), cpuSorted[cpuSorted.length - 1]!]);
        series.memory.push([Math.floor(bucket.start / 1000), quantile(memorySorted, 0.95), memorySorted[memorySorted.length - 1]!]);
        bucket = { cpu: [], memory: [], start: at + SAMPLE };
      }
    }
    const kills = this.ooms.filter((oom) => oom.key === key && oom.at >= from && oom.at < to);
    const running = this.live.get(key)!;
    return {
      workload: workload.ref,
      source: "simulation",
      mode: "continuous",
      window: { from: iso(from), to: iso(to) },
      pods: 2,
      coverage: 1,
      queries: [],
      containers: [
        {
          name: workload.container,
          current: { requests: { ...running.requests }, limits: { ...running.limits } },
          cpu: statistics(cpu),
          memory: statistics(memory),
          oomKills: kills.map((kill) => ({ at: iso(kill.at), pod: `${workload.ref.name}-7d9f8c6b5-x2k4p` })),
          restarts: kills.length,
          throttledRatio: cpu.length > 0 ? throttled / (cpu.length / 2) : 0,
          series: { step: "1h", cpu: series.cpu, memory: series.memory },
        },
      ],
    } as unknown as WorkloadObservation;
  }

  /** A nightly Job: one run at 02:00 each day, its peaks. */
  private observeRuns(workload: SimWorkload, from: number, to: number): WorkloadObservation {
    const running = this.live.get(this.key(workload))!;
    const runs = [];
    for (let day = Math.ceil((from - this.start) / DAY); this.start + day * DAY + 2 * HOUR < to; day++) {
      const at = this.start + day * DAY + 2 * HOUR;
      if (at < from) continue;
      const rng = random(hash(this.seed, this.key(workload), day));
      runs.push({
        run: `${workload.ref.name}-${29_391_270 + day}`,
        startedAt: iso(at),
        durationSeconds: 1_500 + Math.round(rng() * 400),
        exitCode: 0,
        succeeded: true,
        containers: { [workload.container]: { cpuPeak: workload.cpu * (0.9 + 0.2 * rng()), memoryPeak: workload.memory * (0.9 + 0.2 * rng()) } },
      });
    }
    return {
      workload: workload.ref,
      source: "simulation",
      mode: "run-based",
      window: { from: iso(from), to: iso(to) },
      pods: runs.length,
      coverage: 1,
      queries: [],
      runs,
      containers: [{ name: workload.container, current: { requests: { ...running.requests }, limits: { ...running.limits } }, oomKills: [], restarts: 0, throttledRatio: 0 }],
    } as unknown as WorkloadObservation;
  }

  /** Core-hours of CPU used above the request, and the monthly cost of the requests running now. */
  account(from: number, to: number, prices: { cpuCoreHour: number; memoryGiBHour: number }): { cpuAboveRequest: number; monthlyCost: number } {
    let cpuAboveRequest = 0;
    let monthlyCost = 0;
    for (const workload of this.workloads) {
      const running = this.live.get(this.key(workload));
      const cpuRequest = running?.requests.cpu ? Number(parseQuantity(running.requests.cpu).nanos) / 1e9 : 0;
      const memoryRequest = running?.requests.memory ? Number(parseQuantity(running.requests.memory).nanos) / 1e9 : 0;
      monthlyCost += 2 * 730 * (cpuRequest * prices.cpuCoreHour + (memoryRequest / 1024 ** 3) * prices.memoryGiBHour);
      if (workload.archetype === "nightly") continue;
      for (let at = from; at < to; at += SAMPLE) cpuAboveRequest += Math.max(0, this.usage(workload, at).cpu - cpuRequest) * (SAMPLE / HOUR);
    }
    return { cpuAboveRequest, monthlyCost };
  }
}

function statistics(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => quantile(sorted, q);
  return { p50: at(0.5), p90: at(0.9), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0, mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length), samples: sorted.length };
}

function sameResources(a: Resources, b: Resources): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function iso(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function hash(...parts: (string | number)[]): number {
  let value = 2166136261;
  for (const char of parts.join("/")) value = Math.imul(value ^ char.charCodeAt(0), 16777619);
  return value >>> 0;
}

