import { TOOL } from "../../src/version.js";
import { WorkloadObservationSchema, type WorkloadObservation } from "../../src/domain/index.js";
import { CURRENT_API_VERSION, POLICY_KIND, PolicyV1alpha2Schema, type Policy } from "../../src/policy/schema.js";
import { DecisionRecordSchema, recommendWorkload, type ContainerDecision, type DecisionRecord, type RecommendInput } from "../../src/recommend/index.js";

export const MI = 1024 * 1024;
export const GI = 1024 * MI;

/**
 * Usage statistics with the given percentiles; the unnamed ones are filled in order-preserving.
 * p99 defaults to the max: a spread of more than 15% over the p95 keeps the CPU variability
 * margin at its maximum, 1.15, the SAFE margin most tests compute with.
 */
export function usage(values: { p50?: number; p90?: number; p95: number; p99?: number; max?: number; mean?: number; samples?: number }) {
  const max = values.max ?? values.p99 ?? values.p95;
  const p99 = values.p99 ?? max;
  const p90 = values.p90 ?? values.p95;
  const p50 = values.p50 ?? Math.min(p90, values.p95);
  return { p50, p90, p95: values.p95, p99, max, mean: values.mean ?? p50, samples: values.samples ?? 20_160 };
}

export interface ContainerSpec {
  name?: string;
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
  cpu?: ReturnType<typeof usage> | null;
  memory?: ReturnType<typeof usage> | null;
  oomKills?: { at: string; pod: string }[];
  restarts?: number;
  throttledRatio?: number;
  /** Hourly `[time, p95, max]` points (see `hourly`). */
  series?: { cpu?: [number, number, number][]; memory?: [number, number, number][] };
  /** Evidence the source could not measure → the missing metric (snapshot version 3). */
  unknown?: Partial<Record<"cpu" | "memory" | "oomKills" | "restarts" | "throttling" | "requests", string>>;
}

/** Default container: 180m p95 CPU, 250Mi max memory, requests 500m / 512Mi. */
export function container(spec: ContainerSpec = {}) {
  return {
    name: spec.name ?? "server",
    current: { requests: spec.requests ?? { cpu: "500m", memory: "512Mi" }, limits: spec.limits ?? {} },
    ...(spec.cpu === null ? {} : { cpu: spec.cpu ?? usage({ p95: 0.18, max: 0.25 }) }),
    ...(spec.memory === null ? {} : { memory: spec.memory ?? usage({ p95: 240 * MI, max: 250 * MI }) }),
    oomKills: spec.oomKills ?? [],
    restarts: spec.restarts ?? 0,
    throttledRatio: spec.throttledRatio ?? 0,
    ...(spec.series ? { series: { step: "1h", cpu: spec.series.cpu ?? [], memory: spec.series.memory ?? [] } } : {}),
    ...(spec.unknown ? { unknown: spec.unknown } : {}),
  };
}

/**
 * Hourly series points over the last `days` of the default window (ending 2026-11-21T00:00Z), as
 * Prometheus writes them: the point at time t covers the hour before it. `value(hours)` gives the
 * point's p95 and max from the hours since the window's start.
 */
export function hourly(days: number, value: (hours: number) => [p95: number, max: number]): [number, number, number][] {
  const start = WINDOW_END / 1000 - days * 86_400;
  return Array.from({ length: days * 24 }, (_, index) => {
    const [p95, max] = value(index + 1);
    return [start + (index + 1) * 3600, p95, max];
  });
}

export interface WorkloadSpec {
  kind?: string;
  name?: string;
  mode?: "continuous" | "run-based";
  /** Window length in hours, ending 2026-11-21T00:00:00Z (default 14 days). */
  windowHours?: number;
  coverage?: number;
  containers?: ReturnType<typeof container>[];
  runs?: unknown[];
  hpa?: { name?: string; metrics: string[] };
  problems?: string[];
}

const WINDOW_END = Date.parse("2026-11-21T00:00:00Z");

export function workload(spec: WorkloadSpec = {}): WorkloadObservation {
  const hours = spec.windowHours ?? 14 * 24;
  return WorkloadObservationSchema.parse({
    workload: { cluster: "prod", namespace: "shop", kind: spec.kind ?? "Deployment", name: spec.name ?? "cart" },
    source: "prometheus",
    mode: spec.mode ?? "continuous",
    window: { from: new Date(WINDOW_END - hours * 3_600_000).toISOString(), to: new Date(WINDOW_END).toISOString() },
    pods: 3,
    coverage: spec.coverage ?? 1,
    queries: [],
    containers: spec.containers ?? [container()],
    ...(spec.runs ? { runs: spec.runs } : {}),
    ...(spec.hpa ? { hpa: spec.hpa } : {}),
    ...(spec.problems ? { problems: spec.problems } : {}),
  });
}

/** A Job run with peaks for the container `job` (cores and bytes); runs 1–39 start hourly inside the default window. */
export function run(index: number, peaks: { cpu: number; memory: number }, succeeded = true) {
  return {
    run: `run-${index}`,
    startedAt: new Date(WINDOW_END - (40 - index) * 3_600_000).toISOString(),
    durationSeconds: 200,
    exitCode: succeeded ? 0 : 1,
    succeeded,
    containers: { job: { cpuPeak: peaks.cpu, memoryPeak: peaks.memory } },
  };
}

export function policy(overrides: Record<string, unknown> = {}): Policy {
  return PolicyV1alpha2Schema.parse({ apiVersion: CURRENT_API_VERSION, kind: POLICY_KIND, ...overrides });
}

export const DEFAULTS_SOURCE = { path: "(defaults)", apiVersion: CURRENT_API_VERSION, sha256: "" };
export const AT = "2026-11-21T06:00:00Z";

/** Runs the engine and checks the record against its own schema before handing it over. */
export function recommend(observation: WorkloadObservation, options: { policy?: Policy; manifest?: RecommendInput["manifest"]; holdMemoryDecreases?: string } = {}): DecisionRecord {
  const record = recommendWorkload({
    tool: TOOL,
    observation,
    policy: options.policy ?? policy(),
    policySource: DEFAULTS_SOURCE,
    at: AT,
    manifest: options.manifest,
    ...(options.holdMemoryDecreases ? { holdMemoryDecreases: options.holdMemoryDecreases } : {}),
  });
  DecisionRecordSchema.parse(record);
  return record;
}

export function only(record: DecisionRecord, name = "server"): ContainerDecision {
  const found = record.containers.find((entry) => entry.name === name);
  if (!found) throw new Error(`no container ${name} in the record`);
  return found;
}
