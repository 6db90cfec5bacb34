import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeUsageWithPrometheus } from "../../src/observe/index.js";
import { scenarioFamilies, type Scenario } from "../helpers/cluster-metrics.js";
import { rightsize } from "../helpers/cli.js";
import { backfill, startPrometheus, type RunningPrometheus } from "../helpers/prometheus.js";
import { withoutInterception } from "../helpers/network.js";

withoutInterception();

/*
 * SPEC §11 `rightsize backtest --prometheus` against a real Prometheus: two days of one
 * Deployment (one pod; 0.2 cores and 200Mi flat; requests 1 core and 1Gi), scraped every minute.
 * The first day is observed: p95 = p99 = 200m (margin 1) and max 200Mi × 1.15 = 230Mi, both
 * capped at −50% by the default policy: 500m and 512Mi. The second day is replayed: 0.2 cores
 * never goes above 500m, 200Mi never above 512Mi. Saved: 0.5 cores and 0.5GiB × 1 pod,
 * (0.5 × 0.031611 + 0.5 × 0.004237) × 730 = 13.0845 USD a month.
 */

const MI = 1024 * 1024;
const HOUR = 3600;
const TO = Date.parse("2025-03-03T00:00:00Z") / 1000;
const START = TO - 49 * HOUR;

const scenario: Scenario = {
  scrapeInterval: 60,
  stateInterval: 600,
  start: START,
  end: TO,
  namespaces: [
    {
      name: "shop",
      replicaSets: [{ name: "api-5d8f", owner: { kind: "Deployment", name: "api" } }],
      jobs: [],
      hpas: [],
      pods: [
        {
          name: "api-5d8f-aaaaa",
          owner: { kind: "ReplicaSet", name: "api-5d8f" },
          start: START,
          end: TO,
          containers: [{ name: "api", cpu: { base: 0.2 }, memory: { base: 200 * MI }, requests: { cpu: 1, memory: 1024 * MI } }],
        },
      ],
    },
  ],
};

let directory: string;
let prometheus: RunningPrometheus;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-backtest-prometheus-"));
  await backfill(path.join(directory, "tsdb"), scenarioFamilies(scenario));
  prometheus = await startPrometheus(path.join(directory, "tsdb"));
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("the usage a backtest replays, from Prometheus", () => {
  it("is the busiest replica at every query step of the window: 0.2 cores and 200Mi, one sample a minute for a day", async () => {
    const window = { from: new Date((TO - 24 * HOUR) * 1000).toISOString(), to: new Date(TO * 1000).toISOString() };
    const [usage, ...others] = await observeUsageWithPrometheus({ url: prometheus.url }, { cluster: "prod", namespaces: ["shop"], window });
    expect(others).toEqual([]);
    expect(usage).toMatchObject({ workload: { cluster: "prod", namespace: "shop", kind: "Deployment", name: "api" }, container: "api", step: 60, start: TO - 24 * HOUR + 60 });
    expect(usage!.cpu).toHaveLength(1440);
    expect(usage!.cpu.every((value) => value !== null && Math.abs(value - 0.2) < 1e-9)).toBe(true);
    expect(usage!.memory.every((value) => value === 200 * MI)).toBe(true);
  });
});

describe("rightsize backtest --prometheus", () => {
  it("observes the first day, recommends, and replays the second day", async () => {
    const { status, stdout, stderr } = await rightsize(
      "backtest",
      "--prometheus",
      prometheus.url,
      "--namespace",
      "shop",
      "--cluster",
      "prod",
      "--window",
      "2d",
      "--split",
      "1d",
      "--at",
      new Date(TO * 1000).toISOString(),
      "--policy",
      path.join(directory, "missing-means-defaults.yml"),
      "--output",
      "json",
    );
    // A --policy that does not exist is an input error, not the defaults.
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("missing-means-defaults.yml");

    const run = await rightsize("backtest", "--prometheus", prometheus.url, "--namespace", "shop", "--cluster", "prod", "--window", "2d", "--split", "1d", "--at", new Date(TO * 1000).toISOString(), "--output", "json");
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.window).toEqual({ from: "2025-03-01T00:00:00Z", split: "2025-03-02T00:00:00Z", to: "2025-03-03T00:00:00Z" });
    const [policy] = report.policies;
    expect(policy.workloads.map((workload: { workload: { name: string }; decision: string }) => [workload.workload.name, workload.decision])).toEqual([["api", "propose"]]);
    expect(policy.workloads[0].containers[0]).toMatchObject({ recommended: { cpu: 0.5, memory: 512 * MI }, action: "change", cpuCoresSaved: 0.5, memoryGiBSaved: 0.5 });
    expect(policy.totals).toMatchObject({ cpuAboveRequest: 0, memoryAboveRequest: 0, samplesAboveLimit: 0 });
    expect(policy.totals.monthlySaved).toBeCloseTo(13.0845, 4);
    expect(run.stderr).toContain("rightsize: observing 2025-03-01T00:00:00Z → 2025-03-02T00:00:00Z, replaying 2025-03-02T00:00:00Z → 2025-03-03T00:00:00Z\n");
  });
});
