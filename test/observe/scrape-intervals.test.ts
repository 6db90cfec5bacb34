import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkloadObservation } from "../../src/domain/index.js";
import { observeWithPrometheus, type ObservationProblem, type PrometheusObservation } from "../../src/observe/index.js";
import { memoryAt, scenarioFamilies, usageAt, type Scenario, type ScenarioNamespace, type ScenarioPod } from "../helpers/cluster-metrics.js";
import { backfill, startPrometheus, type RunningPrometheus } from "../helpers/prometheus.js";
import { percentile } from "../helpers/reference-percentile.js";
import { withoutInterception } from "../helpers/network.js";

withoutInterception();

/*
 * Issue 14, no silent gaps: one day of a Deployment `api` (two replicas) in three namespaces
 * scraped every 30s, 60s and 5m, each with its scrapes off the query grid (7s, 23s and 137s after
 * the minute), as any real scraper's are. In the 5m namespace a Deployment `blip` ran for four
 * minutes: one scrape, no rate. A 24h window is read at a 1m step.
 */

const HOUR = 3600;
const MI = 1024 * 1024;
const TO = Date.parse("2025-02-02T00:00:00Z") / 1000;
const FROM = TO - 24 * HOUR;
const START = FROM - 2 * HOUR;
const STEP = 60;
const window = { from: new Date(FROM * 1000).toISOString(), to: new Date(TO * 1000).toISOString() };

const apiPods: ScenarioPod[] = [0, 1].map((replica) => ({
  name: `api-6b7d9f-${replica}q`,
  owner: { kind: "ReplicaSet", name: "api-6b7d9f" },
  start: START,
  end: TO,
  containers: [
    {
      name: "app",
      cpu: { base: 0.4, amplitude: 0.2, periodSeconds: 6 * HOUR, phaseSeconds: replica * HOUR },
      memory: { base: 200 * MI, amplitude: 20 * MI, periodSeconds: 6 * HOUR, phaseSeconds: replica * HOUR },
      requests: { cpu: 0.5, memory: 256 * MI },
      limits: { cpu: 1 },
      throttledRatio: 0.05,
    },
  ],
}));

const blipPod: ScenarioPod = {
  name: "blip-5c4f-0z",
  owner: { kind: "ReplicaSet", name: "blip-5c4f" },
  start: FROM + 10 * HOUR,
  end: FROM + 10 * HOUR + 240,
  containers: [{ name: "app", cpu: { base: 0.1 }, memory: { base: 30 * MI }, requests: { cpu: 0.1, memory: 64 * MI } }],
};

const SCRAPES = [
  { name: "every-30s", scrapeInterval: 30, scrapeOffset: 7, rateRange: 120 },
  { name: "every-60s", scrapeInterval: 60, scrapeOffset: 23, rateRange: 240 },
  { name: "every-5m", scrapeInterval: 300, scrapeOffset: 137, rateRange: 1200 },
];

const scenario: Scenario = {
  scrapeInterval: 60,
  start: START,
  end: TO,
  namespaces: SCRAPES.map(({ name, scrapeInterval, scrapeOffset }): ScenarioNamespace => {
    const blip = name === "every-5m";
    return {
      name,
      scrapeInterval,
      scrapeOffset,
      replicaSets: [{ name: "api-6b7d9f", owner: { kind: "Deployment", name: "api" } }, ...(blip ? [{ name: "blip-5c4f", owner: { kind: "Deployment" as const, name: "blip" } }] : [])],
      jobs: [],
      hpas: [],
      pods: [...apiPods, ...(blip ? [blipPod] : [])],
    };
  }),
};

let directory: string;
let prometheus: RunningPrometheus;
let result: PrometheusObservation;
const problems: ObservationProblem[] = [];

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-scrapes-"));
  await backfill(path.join(directory, "tsdb"), scenarioFamilies(scenario));
  prometheus = await startPrometheus(path.join(directory, "tsdb"));
  result = await observeWithPrometheus({ url: prometheus.url }, { cluster: "prod", namespaces: SCRAPES.map(({ name }) => name), window, onProblem: (problem) => problems.push(problem) });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

function api(namespace: string): WorkloadObservation {
  return result.workloads.find((candidate) => candidate.workload.namespace === namespace && candidate.workload.name === "api")!;
}

/** The scenario's own numbers: the busier replica at each 1m step of the window. */
function busiest(value: (pod: ScenarioPod, t: number) => number): number[] {
  const values: number[] = [];
  for (let t = FROM; t <= TO; t += STEP) values.push(Math.max(...apiPods.map((pod) => value(pod, t))));
  return values;
}

function expectWithin(actual: number | undefined, expected: number, tolerance = 0.02): void {
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - expected) / expected, `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

describe.each(SCRAPES)("scraped $name, off the query grid", ({ name, scrapeInterval, scrapeOffset, rateRange }) => {
  it(`takes rate() over four measured scrape intervals: ${rateRange}s`, () => {
    const cpu = api(name).queries.map((id) => result.queries[id]!.promql).find((promql) => promql.startsWith("rate("));
    expect(cpu).toContain(`[${rateRange}s])`);
  });

  it("has CPU statistics at every step of the window, within 2% of the scenario", () => {
    const cpu = api(name).containers[0]!.cpu;
    const expected = busiest((pod, t) => usageAt(pod.containers[0]!.cpu, t));
    expect(cpu?.samples).toBe(24 * 60 + 1);
    expectWithin(cpu?.p50, percentile(expected, 0.5));
    expectWithin(cpu?.p95, percentile(expected, 0.95));
    expectWithin(cpu?.max, Math.max(...expected));
    expect(api(name).coverage).toBe(1);
  });

  it("has memory statistics at every step, and the largest sample exactly", () => {
    const memory = api(name).containers[0]!.memory;
    const expected = busiest((pod, t) => memoryAt(pod.containers[0]!, t));
    expect(memory?.samples).toBe(24 * 60 + 1);
    expectWithin(memory?.p95, percentile(expected, 0.95));
    let largest = 0;
    for (const pod of apiPods) {
      for (let t = START + scrapeOffset; t <= TO; t += scrapeInterval) if (t >= FROM) largest = Math.max(largest, memoryAt(pod.containers[0]!, t));
    }
    expect(memory?.max).toBe(largest);
  });
});

describe("pods that span the window", () => {
  it.each(SCRAPES.map(({ name }) => name))("have their counters and requests read at its ends only (%s)", (name) => {
    // Owners, Jobs, HPAs, the batch's facts, CPU, memory: no query over the whole window for them.
    expect(api(name).queries).toHaveLength(6);
    const app = api(name).containers[0]!;
    expect(app.current).toEqual({ requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "1" } });
    expect(app.restarts).toBe(0);
    expect(app.throttledRatio).toBeCloseTo(0.05, 10);
  });
});

describe("a container whose statistics are missing", () => {
  it("is reported in the snapshot's problems, with the reason, and no other is", () => {
    const blip = result.workloads.find((candidate) => candidate.workload.name === "blip")!;
    expect(blip.containers[0]!.cpu).toBeUndefined();
    expect(blip.containers[0]!.memory?.max).toBe(30 * MI);
    expect(problems).toEqual([
      {
        cluster: "prod",
        namespace: "every-5m",
        message:
          "no CPU statistics for Deployment blip/app: each pod had one container_cpu_usage_seconds_total sample in the window (it ran for less than two scrapes), and a rate needs two",
      },
    ]);
  });

  it("was every container of the 5m namespace with the rate range of before (the step, at least 2m), and nobody said so", async () => {
    for (const range of [120, 300]) {
      const query = `count_over_time(rate(container_cpu_usage_seconds_total{namespace="every-5m",container="app"}[${range}s])[24h:1m])`;
      const response = await fetch(`${prometheus.url}/api/v1/query`, { method: "POST", body: new URLSearchParams({ query, time: String(TO) }) });
      expect(((await response.json()) as { data: { result: unknown[] } }).data.result, `rate over ${range}s`).toEqual([]);
    }
  });
});
