import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSnapshot, observeWithPrometheus } from "../../src/observe/index.js";
import { renderPullRequest } from "../../src/pipeline/index.js";
import { DEFAULT_POLICY } from "../../src/policy/index.js";
import { recommendWorkload, type DecisionRecord } from "../../src/recommend/index.js";
import { scenarioFamilies, type Scenario } from "../helpers/cluster-metrics.js";
import { backfill, startPrometheus, type RunningPrometheus } from "../helpers/prometheus.js";
import type { WorkloadObservation } from "../../src/domain/index.js";

/**
 * A new user's Prometheus: cAdvisor usage and kube-state-metrics owners and requests, but no
 * restart counters, no termination reasons and no cAdvisor CFS series. The old code read those
 * absences as "0 restarts, no OOM kills, throttled 0.0%" and rated the workload SAFE.
 */
const MI = 1024 * 1024;
const DAY = 86_400;
const TO = Date.parse("2025-03-08T00:00:00Z") / 1000;
const WINDOW = 7 * DAY;
const FROM = TO - WINDOW;
const MISSING = new Set(["kube_pod_container_status_restarts_total", "kube_pod_container_status_last_terminated_reason", "container_cpu_cfs_periods_total", "container_cpu_cfs_throttled_periods_total"]);

const scenario: Scenario = {
  scrapeInterval: 300,
  start: FROM - 3600,
  end: TO,
  namespaces: [
    {
      name: "shop",
      replicaSets: [{ name: "api-5d8f7", owner: { kind: "Deployment", name: "api" } }],
      jobs: [],
      hpas: [],
      pods: [
        {
          name: "api-5d8f7-aaaaa",
          owner: { kind: "ReplicaSet", name: "api-5d8f7" },
          start: FROM - 3600,
          end: TO,
          containers: [{ name: "app", cpu: { base: 0.2 }, memory: { base: 300 * MI }, requests: { cpu: 1, memory: 1024 * MI }, limits: { cpu: 2 } }],
        },
      ],
    },
  ],
};

let directory: string;
let prometheus: RunningPrometheus;
let observation: WorkloadObservation;
let record: DecisionRecord;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-unknown-"));
  const families = scenarioFamilies(scenario).filter((family) => !MISSING.has(family.name));
  await backfill(path.join(directory, "tsdb"), families);
  prometheus = await startPrometheus(path.join(directory, "tsdb"));
  const window = { from: new Date(FROM * 1000).toISOString(), to: new Date(TO * 1000).toISOString() };
  const observed = await observeWithPrometheus({ url: prometheus.url }, { cluster: "prod", namespaces: ["shop"], window });
  observation = buildSnapshot(observed.workloads, window.to, [], observed.queries).workloads[0]!;
  record = recommendWorkload({
    tool: { name: "rightsize", version: "test" },
    observation,
    policy: DEFAULT_POLICY,
    policySource: { path: "(defaults)", apiVersion: "rightsize.dev/v1alpha2", sha256: "0".repeat(64) },
    at: window.to,
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("a Prometheus without restart, termination and CFS series (SPEC §4: missing evidence is never health)", () => {
  it("marks restarts, OOM kills and throttling unknown in the snapshot, naming the missing metric", () => {
    const app = observation.containers[0]!;
    expect(app.name).toBe("app");
    expect(app.unknown).toEqual({
      oomKills: "kube_pod_container_status_restarts_total",
      restarts: "kube_pod_container_status_restarts_total",
      throttling: "container_cpu_cfs_periods_total",
    });
    // Usage and requests were measured.
    expect(app.memory?.max).toBe(300 * MI);
    expect(app.current).toEqual({ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2" } });
  });

  it("writes them as null in the decision record, lowers confidence by 10 per unknown and rates CAUTION, not SAFE", () => {
    const app = record.containers[0]!;
    expect(app.evidence).toEqual({
      oomKills: null,
      restarts: null,
      throttledRatio: null,
      unknown: [
        { evidence: "oomKills", metric: "kube_pod_container_status_restarts_total" },
        { evidence: "restarts", metric: "kube_pod_container_status_restarts_total" },
        { evidence: "throttling", metric: "container_cpu_cfs_periods_total" },
      ],
    });
    // Window 7d → 80 points, coverage and samples higher: min 80; − 3 × 10 for the unknowns = 50, MEDIUM.
    expect(app.confidence.score).toBe(50);
    expect(app.confidence.level).toBe("MEDIUM");
    expect(app.safety).toBe("CAUTION");
    expect(app.reasons.slice(0, 2)).toEqual([
      "rated CAUTION: restarts unknown (no kube_pod_container_status_restarts_total); CPU throttling unknown (no container_cpu_cfs_periods_total); margins: cpu 1.3 (CAUTION; above its variability margin 1: p99 200m ÷ p90 200m × 1 = 1, within 1–1.15), memory 1.3 (CAUTION; above its variability margin 1.05: max 300Mi ÷ p99 300Mi = 1 (daily peaks not rising) × 1 = 1, within 1.05–1.15)",
      "confidence MEDIUM (50/100): window 7d, coverage 100%, samples 2,017, unknown evidence OOM kills (no kube_pod_container_status_restarts_total), unknown evidence restarts (no kube_pod_container_status_restarts_total), unknown evidence CPU throttling (no container_cpu_cfs_periods_total)",
    ]);
  });

  it("holds the memory decrease while OOM kills are unknown and proposes the CPU decrease", () => {
    const app = record.containers[0]!;
    expect(record.decision.action).toBe("propose");
    // CPU: p90 0.2 cores × 1.3 (CAUTION) = 260m; 1 core cut by at most 50% per proposal (maxDecreasePercent) gives 500m.
    // Memory: max 300Mi × 1.3 = 390Mi, capped at 512Mi, but held at 1Gi while OOM kills are unknown.
    expect(app.recommended.requests).toEqual({ cpu: "500m", memory: "1Gi" });
    expect(app.reasons.slice(2)).toEqual([
      "cpu request 1 → 500m (−50%): p90 200m × 1.3 = 260m; lowered only to 500m in this proposal (maxDecreasePercent 50%; the target 260m is reached in later steps)",
      "memory request held at 1Gi instead of 512Mi (max 300Mi × 1.3 = 390Mi; lowered only to 512Mi in this proposal (maxDecreasePercent 50%; the target 390Mi is reached in later steps)): decreases are held (OOM kills are unknown (no kube_pod_container_status_restarts_total); install or fix kube-state-metrics, or set apply.unknownOomKills: allow)",
    ]);
  });

  it("proposes the memory decrease when the policy allows it (apply.unknownOomKills: allow)", () => {
    const allowed = recommendWorkload({
      tool: { name: "rightsize", version: "test" },
      observation,
      policy: { ...DEFAULT_POLICY, apply: { ...DEFAULT_POLICY.apply, unknownOomKills: "allow" } },
      policySource: { path: "(defaults)", apiVersion: "rightsize.dev/v1alpha2", sha256: "0".repeat(64) },
      at: observation.window.to,
    });
    // 1Gi cut by at most 50%: 512Mi.
    expect(allowed.containers[0]!.recommended.requests).toEqual({ cpu: "500m", memory: "512Mi" });
  });

  it("shows the unknown evidence in the PR body with the missing metric named", () => {
    const body = renderPullRequest({ records: [record], branch: "rightsize/prod/shop/deployment-api", policy: DEFAULT_POLICY }).body;
    expect(body).toContain(
      "- `app`: OOM kills unknown (no `kube_pod_container_status_restarts_total`), restarts unknown (no `kube_pod_container_status_restarts_total`), CPU throttling unknown (no `container_cpu_cfs_periods_total`).",
    );
    expect(body).toContain(
      "- `app`: its OOM kills are unknown (a metric is missing; `rightsize doctor` names it), so its memory is not lowered (policy `apply.unknownOomKills`).",
    );
    expect(body).not.toContain("0 restarts");
    expect(body).not.toContain("no OOM kills");
  });
});
