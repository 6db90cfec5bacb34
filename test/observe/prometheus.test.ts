import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rightsize } from "../helpers/cli.js";
import { percentile } from "../helpers/reference-percentile.js";
import { serverSideChart, serverSideStatistics, STATISTICS } from "../helpers/server-side-statistics.js";
import { quantile } from "../../src/domain/index.js";
import { ExternalError, InputError, ObservationSnapshotSchema, parseObservationSnapshotText, UsageError, type WorkloadObservation } from "../../src/domain/index.js";
import { buildSnapshot, observeForPolicy, observeWithPrometheus, type ObservationProblem, type PrometheusObservation, type PrometheusRequest, type PrometheusSourceOptions } from "../../src/observe/index.js";
import { loadPolicy, type Policy } from "../../src/policy/index.js";
import { memoryAt, scenarioFamilies, usageAt, type ScenarioPod } from "../helpers/cluster-metrics.js";
import { forward, promqlOf, startLoopbackServer, type LoopbackServer, type Reply } from "../helpers/http.js";
import { backfill, freePort, startPrometheus, type RunningPrometheus } from "../helpers/prometheus.js";
import {
  agentPods,
  cleanupRuns,
  DB_RESTARTS,
  dbPod,
  FROM,
  GI,
  HOUR,
  MI,
  MIGRATE,
  reportRuns,
  scenario,
  TO,
  WEB_SPIKE,
  webPods,
} from "./scenario.js";
import { withoutInterception } from "../helpers/network.js";

withoutInterception();

const window = { from: new Date(FROM * 1000).toISOString(), to: new Date(TO * 1000).toISOString() };
const SCRAPE = scenario.scrapeInterval;

let directory: string;
let prometheus: RunningPrometheus;
let result: PrometheusObservation;
let observed: WorkloadObservation[];
let requestsSent = 0;

/** The workloads only (most tests do not look at the snapshot's queries). */
async function observeWorkloads(options: PrometheusSourceOptions, request: PrometheusRequest): Promise<WorkloadObservation[]> {
  return (await observeWithPrometheus(options, request)).workloads;
}

const counting: typeof fetch = (input, init) => {
  requestsSent++;
  return fetch(input, init);
};

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-prometheus-"));
  await backfill(path.join(directory, "tsdb"), scenarioFamilies(scenario));
  prometheus = await startPrometheus(path.join(directory, "tsdb"));
  result = await observeWithPrometheus({ url: prometheus.url, fetch: counting }, { cluster: "prod", namespaces: ["shop", "batch"], window });
  observed = result.workloads;
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

function workload(namespace: string, kind: string, name: string): WorkloadObservation {
  const found = observed.find((candidate) => candidate.workload.namespace === namespace && candidate.workload.kind === kind && candidate.workload.name === name);
  if (!found) throw new Error(`no observation for ${namespace}/${kind}/${name}`);
  return found;
}

function container(observation: WorkloadObservation, name: string) {
  const found = observation.containers.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

// The scenario's own numbers, computed from its curves (not from rightsize code).

/** Per scrape in the window, the largest usage among the pods that were running. */
function busiestReplicaCpu(pods: ScenarioPod[], containerName: string): number[] {
  const values: number[] = [];
  for (let t = FROM + SCRAPE; t <= TO; t += SCRAPE) {
    const running = pods.filter((pod) => pod.start + 2 * SCRAPE <= t && t <= pod.end);
    if (running.length === 0) continue;
    values.push(Math.max(...running.map((pod) => usageAt(pod.containers.find((c) => c.name === containerName)!.cpu, t))));
  }
  return values;
}

function maxMemorySample(pods: ScenarioPod[], containerName: string): number {
  let max = 0;
  for (const pod of pods) {
    const spec = pod.containers.find((c) => c.name === containerName)!;
    for (let t = pod.start; t <= pod.end; t += SCRAPE) if (t >= FROM && t <= TO) max = Math.max(max, memoryAt(spec, t));
  }
  return max;
}

function expectWithin(actual: number | undefined, expected: number, tolerance = 0.02): void {
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - expected) / expected, `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

describe("observeWithPrometheus on two days of a backfilled cluster", () => {
  it("maps pods to workloads through the kube-state-metrics owner series, skipping pods without a workload", () => {
    expect(observed.map((o) => `${o.workload.cluster}/${o.workload.namespace}/${o.workload.kind}/${o.workload.name}`)).toEqual([
      "prod/shop/CronJob/report",
      "prod/shop/DaemonSet/node-agent",
      "prod/shop/Deployment/web",
      "prod/shop/Job/migrate",
      "prod/shop/ReplicaSet/legacy-rs",
      "prod/shop/Rollout/canary",
      "prod/shop/StatefulSet/db",
      "prod/batch/Deployment/worker",
    ]);
    expect(workload("shop", "Deployment", "web").pods).toBe(4);
    expect(workload("shop", "CronJob", "report").pods).toBe(12);
  });

  it("reports CPU percentiles of the busiest web replica across the rollout within 2% of the scenario", () => {
    const app = container(workload("shop", "Deployment", "web"), "app");
    const expected = busiestReplicaCpu(webPods, "app");
    expectWithin(app.cpu?.p50, percentile(expected, 0.5));
    expectWithin(app.cpu?.p90, percentile(expected, 0.9));
    expectWithin(app.cpu?.p95, percentile(expected, 0.95));
    expectWithin(app.cpu?.p99, percentile(expected, 0.99));
    expectWithin(app.cpu?.max, Math.max(...expected));
    expectWithin(app.cpu?.mean, expected.reduce((sum, value) => sum + value, 0) / expected.length);
    const proxy = container(workload("shop", "Deployment", "web"), "istio-proxy");
    expectWithin(proxy.cpu?.p95, percentile(busiestReplicaCpu(webPods, "istio-proxy"), 0.95));
  });

  it("reports the largest working-set sample in the window exactly, not a larger one two hours before it", () => {
    const app = container(workload("shop", "Deployment", "web"), "app");
    expect(maxMemorySample(webPods, "app")).toBe(612 * MI + 123);
    expect(app.memory?.max).toBe(WEB_SPIKE.bytes);
    expect(container(workload("shop", "StatefulSet", "db"), "postgres").memory?.max).toBe(maxMemorySample([dbPod], "postgres"));
    expect(container(workload("shop", "StatefulSet", "db"), "postgres").memory?.max).toBe(2 * GI + 200 * MI);
    expect(container(workload("shop", "DaemonSet", "node-agent"), "agent").memory?.max).toBe(84 * MI);
  });

  it("takes the busier DaemonSet pod's usage at every step", () => {
    const agent = container(workload("shop", "DaemonSet", "node-agent"), "agent");
    const expected = busiestReplicaCpu(agentPods, "agent");
    expectWithin(agent.cpu?.p95, percentile(expected, 0.95));
    // The busier pod runs at 0.08 ± 0.04 cores: its peak is the workload's.
    expectWithin(agent.cpu?.max, 0.12);
  });

  it("counts the OOM kill and the error restart inside the window, not the OOM kill before it, and the throttled share", () => {
    const postgres = container(workload("shop", "StatefulSet", "db"), "postgres");
    expect(postgres.restarts).toBe(2);
    expect(postgres.oomKills).toHaveLength(1);
    const kill = Date.parse(postgres.oomKills[0]!.at) / 1000;
    const actualKill = DB_RESTARTS[1]!.at;
    expect(kill).toBeGreaterThanOrEqual(actualKill);
    expect(kill - actualKill).toBeLessThanOrEqual(300);
    expect(postgres.oomKills[0]!.pod).toBe("db-0");
    expectWithin(postgres.throttledRatio, 0.18);
    expectWithin(postgres.cpu?.p95, percentile(busiestReplicaCpu([dbPod], "postgres"), 0.95));
  });

  it("marks no evidence unknown when every metric is there; a namespace without limits has measured 0% throttling", () => {
    // batch sets no limit anywhere, so kube-state-metrics exports no limits metric there, and
    // cAdvisor no CFS counters: nothing is missing. shop has every metric.
    expect(container(workload("batch", "Deployment", "worker"), "main").unknown).toBeUndefined();
    expect(container(workload("batch", "Deployment", "worker"), "main").throttledRatio).toBe(0);
    expect(observed.filter((o) => o.workload.namespace === "shop").flatMap((o) => o.containers.map((c) => c.unknown))).toEqual(
      observed.filter((o) => o.workload.namespace === "shop").flatMap((o) => o.containers.map(() => undefined)),
    );
  });

  it("takes current requests and limits from the newest pods", () => {
    expect(container(workload("shop", "Deployment", "web"), "app").current).toEqual({ requests: { cpu: "400m", memory: "640Mi" }, limits: { memory: "1Gi" } });
    expect(container(workload("shop", "StatefulSet", "db"), "postgres").current).toEqual({ requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "3Gi" } });
  });

  it("observes the CronJob run by run: 11 completed runs, run 6 failed with exit code 2, per-run peaks", () => {
    const report = workload("shop", "CronJob", "report");
    expect(report.mode).toBe("run-based");
    const runs = report.runs ?? [];
    const completed = reportRuns.filter((run) => run.outcome !== "running");
    expect(runs.map((run) => run.run)).toEqual(completed.map((run) => run.job));
    expect(runs.filter((run) => !run.succeeded).map((run) => [run.run, run.exitCode])).toEqual([["report-28901200", 2]]);
    for (const [index, run] of runs.entries()) {
      const expected = completed[index]!;
      expect(run.startedAt).toBe(new Date(expected.start * 1000).toISOString());
      expect(run.durationSeconds).toBe(20 * 60);
      expectWithin(run.containers.report?.cpuPeak, expected.cpu);
      expect(run.containers.report?.memoryPeak).toBe(expected.memory);
      if (run.succeeded) expect(run.exitCode).toBe(0);
    }
  });

  it("observes a standalone Job as one run", () => {
    const migrate = workload("shop", "Job", "migrate");
    expect(migrate.mode).toBe("run-based");
    expect(migrate.runs).toEqual([
      { run: "migrate", startedAt: "2025-01-01T02:00:00.000Z", durationSeconds: 1800, exitCode: 0, succeeded: true, containers: { migrate: { cpuPeak: expect.any(Number), memoryPeak: 700 * MI } } },
    ]);
    expectWithin(migrate.runs?.[0]?.containers.migrate?.cpuPeak, MIGRATE.cpu);
  });

  it("reports the HPA that targets the Deployment and its metrics", () => {
    expect(workload("shop", "Deployment", "web").hpa).toEqual({ name: "web", metrics: ["cpu"] });
    expect(workload("shop", "StatefulSet", "db").hpa).toBeUndefined();
  });

  it("covers the whole window with more than 1,000 samples per container", () => {
    const web = workload("shop", "Deployment", "web");
    expect(web.coverage).toBe(1);
    expect(container(web, "app").cpu?.samples).toBeGreaterThanOrEqual(1440);
    expect(web.window).toEqual(window);
    expect(web.source).toBe("prometheus");
  });

  it("adds hourly p95/max series for charts", () => {
    const series = container(workload("shop", "Deployment", "web"), "app").series!;
    expect(series.step).toBe("1h");
    expect(series.cpu).toHaveLength(48);
    expect(series.cpu[0]![0]).toBe(FROM + HOUR);
    for (const [, p95, max] of series.cpu) expect(p95).toBeLessThanOrEqual(max);
  });

  it("sends three instant queries per namespace, then per batch of 20 pods their facts and usage, and looks for OOM kills only in pods that restarted", () => {
    // shop (7 workloads, 22 pods, 28 containers): owners, Jobs, HPAs; then its pods in two batches
    // of at most 20 (sorted by workload: report, node-agent, web, migrate and legacy-rs; canary
    // and db): per batch its containers' facts, CPU and memory (one query each: far below 50,000
    // points), the counters over the whole window of the pods that did not span it or restarted,
    // and the OOM kills of those that restarted (the failed report run's pod; db-0). batch: its
    // one pod spans the window and never restarted, so 6. And per namespace one look-up of the
    // metric names that exist there (not a query: it reads the index only), so 2 more.
    expect(requestsSent).toBe(21);
    const text = (id: string) => result.queries[id]!.promql;
    const web = workload("shop", "Deployment", "web").queries;
    const db = workload("shop", "StatefulSet", "db").queries;
    expect(web).toHaveLength(7);
    expect(db).toHaveLength(8);
    expect(db.slice(0, 3)).toEqual(web.slice(0, 3));
    expect(text(db[7]!)).toContain('pod=~"db-0"');
    expect(text(db[7]!)).toContain('reason="OOMKilled"');
    expect(text(workload("shop", "CronJob", "report").queries.at(-1)!)).toContain('pod=~"report-28901200-q5x7"');
    expect(web.map((id) => result.queries[id]!.range?.step ?? null)).toEqual([null, null, null, null, 120, 120, null]);
    expect(result.queries[web[0]!]).toEqual({ promql: expect.stringContaining("kube_replicaset_owner"), at: window.to });
    expect(text(web[0]!)).toContain("kube_job_owner");
    expect(text(web[4]!)).toMatch(/^rate\(container_cpu_usage_seconds_total\{namespace="shop",container!="",container!="POD",pod=~"[^"]*web-7f9b8c7d5-ccccc[^"]*"\}\[240s\]\)$/);
    expect(text(web[5]!)).toMatch(/^container_memory_working_set_bytes\{namespace="shop",/);
    // The rollout's pods started or ended in the window: their counters are read over all of it.
    expect(text(web[6]!)).toMatch(/pod=~"[^"]*web-6d4cf56db6-aaaaa[^"]*".*\[172800s\]/);
    expect(text(db[6]!)).toMatch(/pod=~"db-0".*\[172800s\]/);
    const worker = workload("batch", "Deployment", "worker").queries;
    expect(worker).toHaveLength(6);
    expect(worker.every((id) => text(id).includes('namespace="batch"'))).toBe(true);
    // Every query sent is recorded once, at the snapshot level.
    expect(Object.keys(result.queries)).toHaveLength(19);
  });

  it("builds a snapshot that validates against the published schema, with each query text once", () => {
    const snapshot = buildSnapshot(observed, "2025-01-03T00:05:00Z", [], result.queries);
    expect(ObservationSnapshotSchema.parse(JSON.parse(JSON.stringify(snapshot)))).toEqual(snapshot);
    expect(snapshot.schemaVersion).toBe(3);
    expect(snapshot.workloads.map((o) => o.workload.namespace)).toEqual(["batch", ...Array(7).fill("shop")]);
    expect(Object.keys(snapshot.queries!)).toHaveLength(19);
  });

  it("refuses a snapshot whose workloads refer to queries it does not list", () => {
    expect(() => buildSnapshot(observed, "2025-01-03T00:05:00Z")).toThrow(/is not a key of the snapshot's queries/);
  });

  it("rejects a window that ends before it starts", async () => {
    await expect(observeWorkloads({ url: prometheus.url }, { cluster: "prod", namespaces: ["shop"], window: { from: window.to, to: window.from } })).rejects.toThrow(InputError);
  });
});

describe("statistics computed by rightsize from the usage series (issue 14)", () => {
  // The same window, grid and rate range as the plan (48h: 2m step; 60s scrapes: rate over 4m).
  const serverWindow = { to: TO, seconds: TO - FROM, step: 120 };

  it("reads CPU with rate() over four measured scrape intervals", () => {
    const cpu = workload("shop", "Deployment", "web").queries.map((id) => result.queries[id]!.promql).find((promql) => promql.startsWith("rate("));
    expect(cpu).toMatch(/\[240s\]\)$/);
  });

  it.each(["cpu", "memory"] as const)("gives every %s statistic Prometheus computed on the server before, to float rounding", async (resource) => {
    const server = await serverSideStatistics(prometheus.url, "shop", resource, serverWindow, 240);
    let compared = 0;
    for (const observation of observed.filter((candidate) => candidate.workload.namespace === "shop" && candidate.workload.kind !== "CronJob")) {
      for (const container of observation.containers) {
        const expected = server.get(`${observation.workload.kind}/${observation.workload.name}/${container.name}`);
        const label = `${observation.workload.kind} ${observation.workload.name}/${container.name} ${resource}`;
        expect(expected, label).toBeDefined();
        for (const statistic of STATISTICS) {
          if (expected![statistic] === undefined) continue;
          const actual = container[resource]![statistic];
          expect(Math.abs(actual - expected![statistic]!) / Math.max(expected![statistic]!, 1e-12), `${label} ${statistic}: ${actual} vs ${expected![statistic]}`).toBeLessThan(1e-9);
          compared++;
        }
      }
    }
    // Deployment web (2), StatefulSet db, DaemonSet node-agent, Rollout canary, ReplicaSet legacy-rs, Job migrate.
    expect(compared).toBe(resource === "cpu" ? 7 * 7 : 7 * 6);
  });

  it("draws the chart series Prometheus drew on the server before", async () => {
    const app = container(workload("shop", "Deployment", "web"), "app").series!;
    for (const resource of ["cpu", "memory"] as const) {
      const expected = (await serverSideChart(prometheus.url, "shop", resource, serverWindow, 240)).get("Deployment/web/app")!;
      expect(app[resource]).toHaveLength(expected.length);
      for (const [index, [time, p95, max]] of app[resource].entries()) {
        expect(time).toBe(expected[index]![0]);
        expect(p95).toBeCloseTo(expected[index]![1], resource === "cpu" ? 12 : 3);
        expect(max).toBeCloseTo(expected[index]![2], resource === "cpu" ? 12 : 3);
      }
    }
  });

  it("interpolates percentiles as quantile_over_time does, on the same samples", async () => {
    // The raw working-set samples of one container over six hours, and Prometheus' own percentiles of them.
    const selector = 'container_memory_working_set_bytes{namespace="shop",pod="db-0",container="postgres"}[6h]';
    const ask = async (query: string) => {
      const response = await fetch(`${prometheus.url}/api/v1/query`, { method: "POST", body: new URLSearchParams({ query, time: String(TO) }) });
      return ((await response.json()) as { data: { result: Array<{ value?: [number, string]; values?: Array<[number, string]> }> } }).data.result[0]!;
    };
    const samples = (await ask(selector)).values!.map(([, value]) => Number(value)).sort((a, b) => a - b);
    expect(samples).toHaveLength(361);
    for (const phi of [0, 0.1, 0.5, 0.9, 0.95, 0.99, 1]) {
      const prometheusValue = Number((await ask(`quantile_over_time(${phi}, ${selector})`)).value![1]);
      expect(quantile(samples, phi), `φ = ${phi}`).toBeCloseTo(prometheusValue, 6);
    }
  });
});

describe("observeWithPrometheus when kube-state-metrics lacks the Job timing metrics", () => {
  let legacy: WorkloadObservation[];
  const problems: ObservationProblem[] = [];

  beforeAll(async () => {
    legacy = await observeWorkloads({ url: prometheus.url }, { cluster: "prod", namespaces: ["legacy"], window, onProblem: (problem) => problems.push(problem) });
  });

  it("times each run by its pod's first and last working-set samples: 7 completed runs of 10 minutes, run 3 failed with exit code 1", () => {
    const cleanup = workload("legacy", "CronJob", "cleanup");
    expect(cleanup.pods).toBe(8);
    const completed = cleanupRuns.filter((run) => run.outcome !== "running");
    expect(cleanup.runs?.map((run) => [run.run, run.startedAt, run.durationSeconds, run.succeeded, run.exitCode])).toEqual(
      // The scenario's runs start on a query step (2m for 48h), so the first sample is the start exactly.
      completed.map((run) => [run.job, new Date(run.start * 1000).toISOString(), 600, run.outcome === "succeeded", run.outcome === "succeeded" ? 0 : 1]),
    );
    for (const [index, run] of (cleanup.runs ?? []).entries()) {
      expectWithin(run.containers.cleanup?.cpuPeak, completed[index]!.cpu);
      expect(run.containers.cleanup?.memoryPeak).toBe(completed[index]!.memory);
    }
    expect(cleanup.problems).toEqual([]);
  });

  it("reports the missing metrics as a problem of the namespace, which does not block the workload", () => {
    expect(problems).toEqual([
      {
        cluster: "prod",
        namespace: "legacy",
        message:
          "kube-state-metrics exports no kube_job_status_completion_time, kube_job_status_start_time for the Jobs of CronJob cleanup: their runs start and end at their pods' first and last working-set samples (to the 2m query step); enable them in kube-state-metrics (the jobs resource, and its --metric-allowlist or --metric-denylist)",
      },
    ]);
  });

  function workload(namespace: string, kind: string, name: string): WorkloadObservation {
    const found = legacy.find((candidate) => candidate.workload.namespace === namespace && candidate.workload.kind === kind && candidate.workload.name === name);
    if (!found) throw new Error(`no observation for ${namespace}/${kind}/${name}`);
    return found;
  }
});

describe("observeWithPrometheus when Prometheus misbehaves", () => {
  let proxy: LoopbackServer;
  let behave: (query: string, path: string) => Reply | undefined = () => undefined;

  beforeAll(async () => {
    proxy = await startLoopbackServer(async (request) => behave(promqlOf(request), request.url.pathname) ?? forward(request, prometheus.url, "/prom"));
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  const options = (extra: Partial<PrometheusSourceOptions> = {}): PrometheusSourceOptions => ({ url: `${proxy.url}/prom`, retries: 1, retryDelayMilliseconds: 10, ...extra });
  const shopOnly = { cluster: "prod", namespaces: ["shop"], window };

  it("works behind a path prefix and sends the bearer token", async () => {
    behave = () => undefined;
    proxy.requests.length = 0;
    const result = await observeWorkloads(options({ bearerToken: "s3cret-token" }), { ...shopOnly, namespaces: ["batch"] });
    expect(result.map((o) => o.workload.name)).toEqual(["worker"]);
    expect(proxy.requests.every((request) => request.url.pathname.startsWith("/prom/api/v1/"))).toBe(true);
    expect(proxy.requests[0]!.headers.authorization).toBe("Bearer s3cret-token");
    // Usage answers are large: they are asked for compressed.
    expect(proxy.requests.every((request) => request.headers["accept-encoding"] === "gzip")).toBe(true);
  });

  it("sends basic auth", async () => {
    behave = () => undefined;
    proxy.requests.length = 0;
    await observeWorkloads(options({ basicAuth: { username: "reader", password: "pw" } }), { ...shopOnly, namespaces: ["batch"] });
    expect(proxy.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("reader:pw").toString("base64")}`);
  });

  it("fails as a whole with exit 3 when nothing listens at the URL", async () => {
    const port = await freePort();
    const failure = observeWorkloads({ url: `http://127.0.0.1:${port}`, retries: 1, retryDelayMilliseconds: 10 }, shopOnly);
    await expect(failure).rejects.toThrow(ExternalError);
    await expect(failure).rejects.toThrow(/is unreachable: .*ECONNREFUSED.* \(2 attempts\)/);
  });

  it("retries a 500 and fails as a whole when it persists", async () => {
    behave = () => ({ status: 500, body: JSON.stringify({ status: "error", errorType: "internal", error: "store unavailable" }) });
    proxy.requests.length = 0;
    await expect(observeWorkloads(options({ retries: 2 }), shopOnly)).rejects.toThrow(/failed: HTTP 500 \(internal: store unavailable\) \(3 attempts\)/);
    expect(proxy.requests).toHaveLength(3);
  });

  it("recovers when a retry succeeds", async () => {
    let failures = 1;
    behave = () => (failures-- > 0 ? { status: 503, body: "overloaded" } : undefined);
    const result = await observeWorkloads(options(), { ...shopOnly, namespaces: ["batch"] });
    expect(result[0]?.containers[0]?.cpu?.p95).toBeCloseTo(0.25, 3);
  });

  it("fails as a whole on malformed JSON", async () => {
    behave = () => ({ status: 200, body: "<html>login</html>" });
    await expect(observeWorkloads(options(), shopOnly)).rejects.toThrow(/answered HTTP 200 with malformed JSON \("<html>login<\/html>"\)/);
  });

  it("fails as a whole on 401 without printing the credentials", async () => {
    behave = () => ({ status: 401, body: "unauthorized" });
    const failure = observeWorkloads(options({ bearerToken: "s3cret-token" }), shopOnly);
    await expect(failure).rejects.toThrow(/rejected the credentials \(HTTP 401\); set RIGHTSIZE_PROMETHEUS_TOKEN/);
    await failure.catch((error: Error) => expect(error.message).not.toContain("s3cret"));
  });

  it("turns a 403 on one namespace into a namespace problem and observes the others", async () => {
    behave = (query) => (query.includes('namespace="shop"') ? { status: 403, body: "forbidden by label proxy" } : undefined);
    const problems: ObservationProblem[] = [];
    const result = await observeWorkloads(options(), { ...shopOnly, namespaces: ["shop", "batch"], onProblem: (problem) => problems.push(problem) });
    expect(problems).toEqual([{ cluster: "prod", namespace: "shop", message: "namespace shop: cannot list workloads from Prometheus: Prometheus refused the query (HTTP 403); the credentials may not grant this namespace" }]);
    expect(result.map((o) => o.workload.namespace)).toEqual(["batch"]);
  });

  it("throws the namespace problem when nobody collects problems", async () => {
    behave = (query) => (query.includes('namespace="batch"') ? { status: 403, body: "{}" } : undefined);
    await expect(observeWorkloads(options(), { ...shopOnly, namespaces: ["batch"] })).rejects.toThrow(ExternalError);
  });

  it("turns a 403 on the CPU usage into a reason on the workloads of its pods", async () => {
    behave = (query) => (query.startsWith("rate(container_cpu_usage_seconds_total") ? { status: 403, body: "{}" } : undefined);
    const result = await observeWorkloads(options(), { ...shopOnly, namespaces: ["batch"] });
    const worker = result[0]!;
    expect(worker.problems).toEqual(["CPU statistics unavailable: Prometheus refused the query (HTTP 403); the credentials may not grant this namespace"]);
    expect(worker.containers[0]!.cpu).toBeUndefined();
    expect(worker.containers[0]!.memory?.max).toBe(256 * MI);
  });

  it("turns a query that times out into a reason on the workloads it concerns", async () => {
    behave = (query) => (query.includes("OOMKilled") ? { status: 200, body: "{}", delayMilliseconds: 5000 } : undefined);
    const result = await observeWorkloads(options({ timeoutSeconds: 2, retries: 0 }), shopOnly);
    const problems = (kind: string, name: string) => result.find((o) => o.workload.kind === kind && o.workload.name === name)!.problems;
    expect(problems("StatefulSet", "db")).toEqual(["OOM kills unavailable: Prometheus query timed out (no answer within 2s, 1 attempt)"]);
    expect(problems("Deployment", "web")).toEqual([]);
  });

  it("keeps partial data but records Prometheus' warnings as reasons", async () => {
    behave = () => undefined;
    const base = await forwardOnce();
    behave = (query) => (query.includes("kube_job_status_start_time") ? { status: 200, body: JSON.stringify({ ...JSON.parse(base), warnings: ["store eu-2 unreachable"] }) } : undefined);
    const result = await observeWorkloads(options(), { ...shopOnly, namespaces: ["batch"] });
    expect(result[0]!.problems).toEqual(["Prometheus warned about Job runs (partial data): store eu-2 unreachable"]);
  });

  it("keeps credentials a proxy echoes in a warning out of the reasons", async () => {
    behave = () => undefined;
    const base = await forwardOnce();
    behave = (query) =>
      query.includes("kube_job_status_start_time") ? { status: 200, body: JSON.stringify({ ...JSON.parse(base), warnings: ["auth Bearer s3cret-token accepted, store eu-2 unreachable"] }) } : undefined;
    const result = await observeWorkloads(options({ bearerToken: "s3cret-token" }), { ...shopOnly, namespaces: ["batch"] });
    expect(result[0]!.problems).toEqual(["Prometheus warned about Job runs (partial data): auth [redacted] accepted, store eu-2 unreachable"]);
  });

  async function forwardOnce(): Promise<string> {
    const response = await fetch(`${prometheus.url}/api/v1/query`, { method: "POST", body: new URLSearchParams({ query: "vector(1)", time: String(TO) }) });
    return response.text();
  }
});

describe("rightsize snapshot --prometheus", () => {
  let proxy: LoopbackServer;
  let output: string;

  beforeAll(async () => {
    proxy = await startLoopbackServer((request) => forward(request, prometheus.url));
    output = path.join(directory, "out", "snapshot.json");
    await mkdir(path.dirname(output), { recursive: true });
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  async function cli(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      return await rightsize(...args);
    } finally {
      process.env = saved;
    }
  }


  it("writes a snapshot file that validates, with progress on stderr and the token only in the request header", async () => {
    proxy.requests.length = 0;
    const result = await cli(["snapshot", "--prometheus", proxy.url, "--namespace", "batch", "--window", "48h", "--at", window.to, "--cluster", "prod", "--output", output], {
      RIGHTSIZE_PROMETHEUS_TOKEN: "t0ken-from-env",
    });
    expect(result).toMatchObject({ status: 0, stdout: "" });
    expect(result.stderr).toContain("rightsize: reading 48h of history from " + proxy.url + " for batch\n");
    expect(result.stderr).toContain("rightsize: 1 workload observed; wrote " + output + "\n");
    expect(result.stderr).not.toContain("t0ken");
    expect(proxy.requests.every((request) => request.headers.authorization === "Bearer t0ken-from-env")).toBe(true);
    const written = parseObservationSnapshotText(await readFile(output, "utf8"), output);
    expect(written.workloads.map((o) => `${o.workload.cluster}/${o.workload.namespace}/${o.workload.name}`)).toEqual(["prod/batch/worker"]);
    expect(written.workloads[0]!.window).toEqual(window);
    expect(written.workloads[0]!.containers[0]!.memory?.max).toBe(256 * MI);
    expect((await readdir(path.dirname(output))).filter((file) => file.endsWith(".tmp"))).toEqual([]);
  });

  it("prints the snapshot on stdout without --output", async () => {
    const result = await cli(["snapshot", "--prometheus", prometheus.url, "--namespace", "batch", "--window", "2d", "--at", window.to]);
    expect(result.status).toBe(0);
    const printed = parseObservationSnapshotText(result.stdout);
    expect(printed.workloads.map((o) => o.workload.name)).toEqual(["worker"]);
    expect(printed.workloads[0]!.workload.cluster).toBe("default");
  });

  it("exits 3 and leaves no file when Prometheus is down", async () => {
    const port = await freePort();
    const target = path.join(directory, "out", "never.json");
    const result = await cli(["snapshot", "--prometheus", `http://127.0.0.1:${port}`, "--namespace", "batch", "--retries", "0", "--output", target]);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/^rightsize: Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable: .*ECONNREFUSED/m);
    await expect(readFile(target)).rejects.toThrow(/ENOENT/);
  });

  it.each([
    [["snapshot", "--prometheus", "http://127.0.0.1:9", "--namespace", "shop", "--all-namespaces"], "-n/--namespace and -A/--all-namespaces exclude each other"],
    [["snapshot", "--prometheus", "http://127.0.0.1:9", "--namespace", "shop", "--runs", "5"], "--runs applies to live observation (--context)"],
    [["snapshot", "--prometheus", "http://127.0.0.1:9", "--namespace", "shop", "--window", "7 days"], '--window: "7 days" is not a duration'],
    [["snapshot", "--prometheus", "http://127.0.0.1:9", "--namespace", "shop", "--at", "yesterday"], '--at: "yesterday" is not an ISO 8601 time'],
    [["snapshot", "--prometheus", "http://127.0.0.1:9", "--context", "prod", "--namespace", "shop"], "pass either --prometheus"],
    [["snapshot", "--prometheus", "http://127.0.0.1:9", "--namespace", "Shop_1"], '"Shop_1" is not a Kubernetes namespace name'],
  ])("exits 2 on bad flags: %j", async (args, message) => {
    const result = await cli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe("observeForPolicy with a Prometheus per cluster", () => {
  let proxy: LoopbackServer;

  beforeAll(async () => {
    proxy = await startLoopbackServer((request) => forward(request, prometheus.url));
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  const policyWith = (body: string): Policy =>
    loadPolicy({ path: ".github/rightsize.yml", text: `apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\n${body}` }).policy;

  it("finds the namespaces with pods in the window, keeps the allowed ones and observes them over the policy window", async () => {
    proxy.requests.length = 0;
    const policy = policyWith(`clusters:\n  - name: prod\n    prometheus: {url: "${proxy.url}", bearerTokenEnv: PROM_TOKEN}\nselector:\n  namespaces: {allow: [batch, other]}\nobserve: {window: 2d}\n`);
    const snapshot = await observeForPolicy(policy, { at: window.to, env: { PROM_TOKEN: "policy-token" } });
    expect(snapshot.workloads.map((o) => `${o.workload.cluster}/${o.workload.namespace}/${o.workload.kind}/${o.workload.name}`)).toEqual(["prod/batch/Deployment/worker"]);
    expect(snapshot.workloads[0]!.window).toEqual(window);
    expect(snapshot.createdAt).toBe(window.to);
    // One discovery query, then the metric-names look-up and the 6 queries of the one allowed namespace.
    expect(proxy.requests).toHaveLength(8);
    expect(promqlOf(proxy.requests[0]!)).toBe("count by (namespace) (max_over_time(kube_pod_owner[172800s]))");
    expect(proxy.requests.every((request) => request.headers.authorization === "Bearer policy-token")).toBe(true);
    expect(ObservationSnapshotSchema.parse(snapshot)).toEqual(snapshot);
  });

  it("never queries a denied namespace, even when asked for it", async () => {
    proxy.requests.length = 0;
    const policy = policyWith(`clusters:\n  - name: prod\n    prometheus: {url: "${proxy.url}"}\nselector:\n  namespaces: {deny: [kube-system, shop]}\n  kinds: [Deployment]\nobserve: {window: 2d}\n`);
    const snapshot = await observeForPolicy(policy, { at: window.to, namespaces: ["shop", "batch"], env: {} });
    expect(snapshot.workloads.map((o) => o.workload.name)).toEqual(["worker"]);
    expect(proxy.requests.some((request) => promqlOf(request).includes('namespace="shop"'))).toBe(false);
  });

  it("says which environment variable is missing", async () => {
    const policy = policyWith(`clusters:\n  - name: prod\n    prometheus: {url: "${proxy.url}", basicAuth: {usernameEnv: PROM_USER, passwordEnv: PROM_PASSWORD}}\n`);
    const failure = observeForPolicy(policy, { at: window.to, env: { PROM_USER: "reader" } });
    await expect(failure).rejects.toThrow(InputError);
    await expect(failure).rejects.toThrow("clusters[0].prometheus.basicAuth.passwordEnv names the environment variable PROM_PASSWORD, which is not set");
  });

  it("asks for a Prometheus URL when the source is prometheus and the cluster has none", async () => {
    const policy = policyWith("clusters:\n  - name: prod\n    context: prod-eu\n");
    await expect(observeForPolicy(policy, { at: window.to, env: {} })).rejects.toThrow(
      "clusters[0] (prod) has no prometheus.url, but observe.source is prometheus; add clusters[].prometheus or set observe.source: metrics-server",
    );
  });

  it("refuses to observe when the policy says to replay a snapshot", async () => {
    const policy = policyWith("observe: {source: snapshot}\n");
    await expect(observeForPolicy(policy, { at: window.to })).rejects.toThrow(UsageError);
  });
});

describe("observeWithPrometheus over TLS", () => {
  let server: LoopbackServer;
  let caFile: string;

  beforeAll(async () => {
    // A self-signed certificate for 127.0.0.1, made for this test.
    const key = path.join(directory, "tls.key");
    caFile = path.join(directory, "tls.crt");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", caFile, "-days", "1", "-subj", "/CN=prometheus.test", "-addext", "subjectAltName=IP:127.0.0.1"], {
      stdio: "ignore",
    });
    server = await startLoopbackServer((request) => forward(request, prometheus.url), { key: await readFile(key, "utf8"), cert: await readFile(caFile, "utf8") });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const batchOnly = { cluster: "prod", namespaces: ["batch"], window };

  it("trusts the server with the CA file", async () => {
    const result = await observeWorkloads({ url: server.url, tls: { caFile } }, batchOnly);
    expect(result.map((o) => o.workload.name)).toEqual(["worker"]);
  });

  it("refuses an untrusted certificate as a whole failure, without retrying, and says how to trust it", async () => {
    server.requests.length = 0;
    const failure = observeWorkloads({ url: server.url, retries: 3, retryDelayMilliseconds: 10 }, batchOnly);
    await expect(failure).rejects.toThrow(ExternalError);
    await expect(failure).rejects.toThrow(/presented a certificate that is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT self-signed certificate\); pass its CA with --ca-file/);
    expect(server.requests).toHaveLength(0);
  });

  it("skips verification when told to", async () => {
    const result = await observeWorkloads({ url: server.url, tls: { insecureSkipVerify: true } }, batchOnly);
    expect(result).toHaveLength(1);
  });

  it("names a CA file it cannot read", async () => {
    await expect(observeWorkloads({ url: server.url, tls: { caFile: path.join(directory, "missing.crt") } }, batchOnly)).rejects.toThrow(
      new RegExp(`Prometheus CA file ${path.join(directory, "missing.crt")} cannot be read`),
    );
  });
});
