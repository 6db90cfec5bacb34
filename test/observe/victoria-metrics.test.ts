import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseObservationSnapshotText, type ObservationSnapshot, type WorkloadObservation } from "../../src/domain/index.js";
import { rightsize } from "../helpers/cli.js";
import { scenarioFamilies, type Scenario } from "../helpers/cluster-metrics.js";
import { backfill, startPrometheus, type RunningPrometheus } from "../helpers/prometheus.js";
import { importFamilies, startVictoriaMetrics, type RunningVictoriaMetrics } from "../helpers/victoria-metrics.js";
import { GI, HOUR, MI, scenario as euScenario, TO, WINDOW_SECONDS } from "./scenario.js";
import { withoutInterception } from "../helpers/network.js";

withoutInterception();

/**
 * One store for many clusters (SPEC §4): a real VictoriaMetrics holds the series of two clusters
 * under a `cluster` label, and each cluster also has a Prometheus of its own with the same
 * samples. `rightsize snapshot --cluster-label cluster` against the shared store must observe each
 * cluster exactly as its own Prometheus does.
 */
const FROM = TO - WINDOW_SECONDS;
const START = FROM - 3 * HOUR;

/** A second cluster: the same namespace names, other workloads and loads, so a leak between clusters shows. */
const usScenario: Scenario = {
  scrapeInterval: 60,
  start: START,
  end: TO,
  namespaces: [
    {
      name: "shop",
      replicaSets: [{ name: "web-84c9d", owner: { kind: "Deployment", name: "web" } }],
      jobs: [],
      hpas: [],
      pods: ["a1", "b2", "c3"].map((suffix, index) => ({
        name: `web-84c9d-${suffix}`,
        owner: { kind: "ReplicaSet", name: "web-84c9d" },
        start: START,
        end: TO,
        containers: [
          {
            name: "app",
            cpu: { base: 0.9 + 0.1 * index, amplitude: 0.3, periodSeconds: 24 * HOUR, phaseSeconds: index * HOUR },
            memory: { base: 1 * GI, amplitude: 100 * MI, periodSeconds: 24 * HOUR },
            requests: { cpu: 1, memory: 2 * GI },
            limits: { cpu: 2, memory: 3 * GI },
            throttledRatio: 0.05,
            restarts: index === 0 ? [{ at: FROM + 5 * HOUR + 30, reason: "OOMKilled", exitCode: 137 }] : [],
          },
        ],
      })),
    },
  ],
};

const CLUSTERS = { eu: euScenario, us: usScenario } as const;
const NAMESPACES = { eu: ["shop", "batch", "legacy"], us: ["shop"] } as const;

let directory: string;
let victoria: RunningVictoriaMetrics;
const prometheus: Partial<Record<keyof typeof CLUSTERS, RunningPrometheus>> = {};


beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-victoria-"));
  victoria = await startVictoriaMetrics(path.join(directory, "victoria"));
  for (const [cluster, scenario] of Object.entries(CLUSTERS) as Array<[keyof typeof CLUSTERS, Scenario]>) {
    const families = scenarioFamilies(scenario);
    await backfill(path.join(directory, cluster), families);
    // Backfilled series carry no staleness marker: without one, Prometheus shows a pod's last sample
    // for its whole lookback after the pod ended. A lookback of one scrape interval stands in for the
    // marker a scraping Prometheus writes.
    prometheus[cluster] = await startPrometheus(path.join(directory, cluster), { lookbackDelta: "1m" });
    await importFamilies(victoria.url, families, { cluster });
  }
}, 180_000);

afterAll(async () => {

  await Promise.all(Object.values(prometheus).map((server) => server.stop()));
  await victoria?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

async function snapshot(url: string, cluster: keyof typeof CLUSTERS, ...flags: string[]): Promise<ObservationSnapshot> {
  const namespaces = NAMESPACES[cluster].flatMap((namespace) => ["--namespace", namespace]);
  const result = await rightsize("snapshot", "--prometheus", url, "--cluster", cluster, ...namespaces, "--window", "2d", "--at", new Date(TO * 1000).toISOString(), ...flags);
  expect(result.status, result.stderr).toBe(0);
  return parseObservationSnapshotText(result.stdout, "stdout");
}

/** What a store answered, without the query texts (the shared store's carry the cluster matcher). */
function observed(workloads: readonly WorkloadObservation[]) {
  return workloads.map(({ queries: _queries, ...rest }) => rest);
}

/**
 * Numbers are compared to 1e-9 of their size (VictoriaMetrics keeps about 12 significant digits of
 * a sample), everything else (names, counts, times, OOM kills, runs, unknown evidence) exactly.
 * One difference between the stores is by design: where a series starts inside a rate() range
 * (the new pods of shop/web's rollout, a Job's pod), Prometheus extrapolates the rate towards the
 * range's start and VictoriaMetrics (MetricsQL) does not. That moves the CPU mean (up to 6% for
 * the 30-minute Job migrate, whose first steps weigh most; VictoriaMetrics' 0.6 cores is the
 * true rate) and the chart's hourly CPU point of that hour (up to 1e-2). Every percentile, maximum,
 * sample count, memory number, run peak and piece of evidence is equal; the differences are printed.
 */
const differences: string[] = [];
const violations: string[] = [];

function expectSame(actual: unknown, expected: unknown, where = "snapshot"): void {
  if (typeof expected === "number" && typeof actual === "number") {
    const relative = Math.abs(actual - expected) / Math.max(1e-12, Math.abs(expected));
    const tolerance = /\.cpu\.mean$/.test(where) ? 0.1 : /\.series\.cpu\./.test(where) ? 1e-2 : 1e-9;
    if (relative > 1e-9) differences.push(`${where}: ${expected} (Prometheus) vs ${actual} (VictoriaMetrics), ${relative.toExponential(1)}`);
    if (relative > tolerance) violations.push(`${where}: ${actual} vs ${expected}`);
    return;
  }
  if (expected === null || typeof expected !== "object") {
    expect(actual, where).toEqual(expected);
    return;
  }
  expect(typeof actual, where).toBe("object");
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual as object)]);
  for (const key of keys) expectSame((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${where}.${key}`);
}

afterAll(() => {
  if (differences.length > 0) console.info(`Numbers that differ between the stores (rate() where a series starts):\n  ${differences.join("\n  ")}`);
});

describe("one VictoriaMetrics for two clusters under a cluster label", () => {
  for (const cluster of ["eu", "us"] as const) {
    it(`observes cluster ${cluster} with the statistics its own Prometheus gives on the same samples`, async () => {
      const own = await snapshot(prometheus[cluster]!.url, cluster);
      const shared = await snapshot(victoria.url, cluster, "--cluster-label", "cluster");
      expect(shared.workloads.map((workload) => `${workload.workload.cluster}/${workload.workload.namespace}/${workload.workload.kind}/${workload.workload.name}`)).toEqual(
        own.workloads.map((workload) => `${workload.workload.cluster}/${workload.workload.namespace}/${workload.workload.kind}/${workload.workload.name}`),
      );
      expect(own.workloads.length).toBeGreaterThan(0);
      violations.length = 0;
      expectSame(observed(shared.workloads), observed(own.workloads));
      expect(violations).toEqual([]);
      // Every selector of every query named the cluster.
      for (const query of Object.values(shared.queries ?? {})) expect(query.promql).toContain(`cluster="${cluster}"`);
    });
  }

  it("keeps the clusters apart: cluster us has only its web Deployment in shop, with its OOM kill", async () => {
    const us = await snapshot(victoria.url, "us", "--cluster-label", "cluster");
    expect(us.workloads.map((workload) => `${workload.workload.namespace}/${workload.workload.kind}/${workload.workload.name}`)).toEqual(["shop/Deployment/web"]);
    const app = us.workloads[0]!.containers[0]!;
    expect(us.workloads[0]!.pods).toBe(3);
    expect(app.oomKills.map((kill) => kill.pod)).toEqual(["web-84c9d-a1"]);
    expect(app.restarts).toBe(1);
    // The busiest replica's working set: 1Gi + 100Mi at the top of the daily curve.
    expect(app.memory?.max).toBe(1 * GI + 100 * MI);
  });

  it("cuts its batches to a store's maximum query length and observes the same", async () => {
    // A store that accepts queries of at most 3,000 characters (VictoriaMetrics -search.maxQueryLen):
    // the facts query of the three web pods is 3,079 characters, of two 2,897.
    const strict = await startVictoriaMetrics(path.join(directory, "strict"), { maxQueryLength: 3000 });
    try {
      await importFamilies(strict.url, scenarioFamilies(usScenario), { cluster: "us" });
      const at = new Date(TO * 1000).toISOString();
      const refused = await rightsize("snapshot", "--prometheus", strict.url, "--cluster", "us", "--namespace", "shop", "--window", "2d", "--at", at, "--cluster-label", "cluster");
      expect(refused.status).toBe(3);
      expect(refused.stderr).toMatch(/refused a query of \d+ characters as too long \(.*\); set prometheus\.maxQueryLength below \d+ \(--max-query-length\) so rightsize cuts its batches shorter/);
      const cut = await snapshot(strict.url, "us", "--cluster-label", "cluster", "--max-query-length", "3000");
      const whole = await snapshot(victoria.url, "us", "--cluster-label", "cluster");
      violations.length = 0;
      expectSame(observed(cut.workloads), observed(whole.workloads));
      expect(violations).toEqual([]);
      expect(Math.max(...Object.values(cut.queries ?? {}).map((query) => query.promql.length))).toBeLessThanOrEqual(3000);
      expect(Object.keys(cut.queries ?? {}).length).toBeGreaterThan(Object.keys(whole.queries ?? {}).length);
    } finally {
      await strict.stop();
    }
  });
});
