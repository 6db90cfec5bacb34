import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSnapshot, observeWithPrometheus } from "../../src/observe/index.js";
import { renderPullRequest } from "../../src/pipeline/body/pull-request.js";
import { DEFAULT_POLICY } from "../../src/policy/index.js";
import { recommendWorkload, type DecisionRecord } from "../../src/recommend/index.js";
import { rightsize } from "../helpers/cli.js";
import { scenarioFamilies, type Scenario } from "../helpers/cluster-metrics.js";
import { startLoopbackServer } from "../helpers/http.js";
import { backfill, freePort, startPrometheus, type RunningPrometheus } from "../helpers/prometheus.js";
import type { WorkloadObservation } from "../../src/domain/index.js";
import { withoutInterception } from "../helpers/network.js";

withoutInterception();

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
      jobs: [{ name: "migrate", start: FROM + 3600, end: FROM + 5400, outcome: "succeeded" }],
      hpas: [{ name: "api", target: { kind: "Deployment", name: "api" }, metrics: ["http_requests"] }],
      pods: [
        {
          name: "migrate-x7k2q",
          owner: { kind: "Job", name: "migrate" },
          start: FROM + 3600,
          end: FROM + 5400,
          containers: [{ name: "migrate", cpu: { base: 0.5 }, memory: { base: 200 * MI }, requests: { cpu: 0.5, memory: 256 * MI } }],
        },
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
  observation = buildSnapshot(observed.workloads, window.to, [], observed.queries).workloads.find((workload) => workload.workload.name === "api")!;
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

describe("rightsize doctor on the same Prometheus", () => {
  const KSM_FIX = (metric: string) =>
    `install kube-state-metrics and let Prometheus scrape it; if it runs, enable its pods resource (--resources) and keep ${metric} in its --metric-allowlist / out of its --metric-denylist`;
  const CFS_FIX =
    "enable cAdvisor CFS metrics: keep container_cpu_cfs_periods_total and container_cpu_cfs_throttled_periods_total in the kubelet/cAdvisor scrape (no metric_relabel_configs that drops container_cpu_cfs_*)";

  it("reports the four missing metrics exactly, what each costs and the fix, and exits 0: proposing works", async () => {
    const result = await rightsize("doctor", "--prometheus", prometheus.url, "--cluster", "prod", "--at", new Date(TO * 1000).toISOString());
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    // Series: cAdvisor CPU per pod for the pod cgroup ("") and its container, 2 pods → 4; the
    // working set also for the pause container → 6; requests cpu and memory of 2 containers → 4.
    // Every 5m: 13 samples in the last hour, both ends included. History: 7d, or 167h for the
    // Job's series, which start an hour into the window.
    expect(result.stdout).toBe(
      [
        "cluster prod (prometheus, 2025-03-01T00:00:00.000Z → 2025-03-08T00:00:00.000Z): 4 of 17 metrics missing; proposing works, with the evidence below unknown",
        "  ok      container_cpu_usage_seconds_total (cAdvisor): 4 series, every 5m, 7d of history",
        "  ok      container_memory_working_set_bytes (cAdvisor): 6 series, every 5m, 7d of history",
        "  MISSING container_cpu_cfs_periods_total (cAdvisor): missing",
        "          unknown: CPU throttling",
        "          costs: CPU throttling of containers with a CPU limit is unknown: their CPU is rated CAUTION at best",
        `          fix: ${CFS_FIX}`,
        "  MISSING container_cpu_cfs_throttled_periods_total (cAdvisor): missing",
        "          unknown: CPU throttling",
        "          costs: CPU throttling of containers with a CPU limit is unknown: their CPU is rated CAUTION at best",
        `          fix: ${CFS_FIX}`,
        "  ok      kube_pod_owner (kube-state-metrics): 2 series, every 5m, 7d of history",
        "  ok      kube_replicaset_owner (kube-state-metrics): 1 series, every 5m, 7d of history",
        "  ok      kube_job_owner (kube-state-metrics): 1 series, every 5m, 167h of history",
        "  MISSING kube_pod_container_status_restarts_total (kube-state-metrics): missing",
        "          unknown: restarts, OOM kills",
        "          costs: restarts and OOM kills are unknown: confidence is lowered, ratings are CAUTION at best and memory decreases are held",
        `          fix: ${KSM_FIX("kube_pod_container_status_restarts_total")}`,
        "  MISSING kube_pod_container_status_last_terminated_reason (kube-state-metrics): missing",
        "          unknown: OOM kills",
        "          costs: OOM kills of containers that restarted are unknown: their memory decreases are held",
        `          fix: ${KSM_FIX("kube_pod_container_status_last_terminated_reason")}`,
        "  ok      kube_pod_container_resource_requests (kube-state-metrics): 4 series, every 5m, 7d of history",
        "  ok      kube_pod_container_resource_limits (kube-state-metrics): 1 series, every 5m, 7d of history",
        "  ok      kube_job_status_start_time (kube-state-metrics): 1 series, every 5m, 167h of history",
        "  ok      kube_job_status_completion_time (kube-state-metrics): 1 series, every 5m, 167h of history",
        "  ok      kube_job_status_succeeded (kube-state-metrics): 1 series, every 5m, 167h of history",
        "  ok      kube_job_status_failed (kube-state-metrics): 1 series, every 5m, 167h of history",
        "  ok      kube_horizontalpodautoscaler_info (kube-state-metrics): 1 series, every 5m, 7d of history",
        "  ok      kube_horizontalpodautoscaler_spec_target_metric (kube-state-metrics): 1 series, every 5m, 7d of history",
        "proposing can work",
        "",
      ].join("\n"),
    );
  });

  it("gives the same findings as JSON and as markdown", async () => {
    const at = new Date(TO * 1000).toISOString();
    const json = await rightsize("doctor", "--prometheus", prometheus.url, "--cluster", "prod", "--at", at, "--output", "json");
    const report = JSON.parse(json.stdout) as { canPropose: boolean; clusters: Array<{ metrics: Array<{ metric: string; present: boolean; unknown?: string[] }> }> };
    expect(report.canPropose).toBe(true);
    expect(report.clusters[0]!.metrics.filter((metric) => !metric.present).map((metric) => [metric.metric, metric.unknown])).toEqual([
      ["container_cpu_cfs_periods_total", ["CPU throttling"]],
      ["container_cpu_cfs_throttled_periods_total", ["CPU throttling"]],
      ["kube_pod_container_status_restarts_total", ["restarts", "OOM kills"]],
      ["kube_pod_container_status_last_terminated_reason", ["OOM kills"]],
    ]);
    const markdown = await rightsize("doctor", "--prometheus", prometheus.url, "--cluster", "prod", "--at", at, "--output", "markdown");
    expect(markdown.stdout).toContain("| `kube_pod_container_status_restarts_total` | kube-state-metrics | **missing** | restarts, OOM kills |\n");
    expect(markdown.stdout).toContain(`- \`kube_pod_container_status_restarts_total\`: restarts and OOM kills are unknown: confidence is lowered, ratings are CAUTION at best and memory decreases are held. **Fix:** ${KSM_FIX("kube_pod_container_status_restarts_total")}.\n`);
  });

  it("exits 1 when an essential metric is missing and 3 when the store cannot be asked", async () => {
    const empty = await startLoopbackServer((request) => ({ status: 200, body: JSON.stringify({ status: "success", data: request.url.pathname.endsWith("/values") ? [] : { resultType: "vector", result: [] } }) }));
    try {
      const result = await rightsize("doctor", "--prometheus", empty.url, "--at", new Date(TO * 1000).toISOString());
      expect(result.status).toBe(1);
      expect(result.stdout.split("\n")[0]).toBe(
        "cluster default (prometheus, 2025-03-01T00:00:00.000Z → 2025-03-08T00:00:00.000Z): 17 of 17 metrics missing; proposing cannot work without container_cpu_usage_seconds_total, container_memory_working_set_bytes, kube_pod_owner",
      );
      expect(result.stdout.endsWith("proposing cannot work: fix what is missing above\n")).toBe(true);
    } finally {
      await empty.stop();
    }
    const closed = await rightsize("doctor", "--prometheus", `http://127.0.0.1:${await freePort()}`, "--retries", "0", "--at", new Date(TO * 1000).toISOString());
    expect(closed.status).toBe(3);
    expect(closed.stdout).toMatch(/^cluster default \(prometheus, .*\): cannot be checked: Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable: .*ECONNREFUSED/);
  });
});
