/**
 * Observation cost on Prometheus: `rightsize snapshot --prometheus` against a re-implementation
 * of KRR's query pattern (robusta-dev/krr, simple strategy, read in its source: per workload
 * container 3 queries to find the pods and 4 statistic queries, pods batched by 50, 6 queries in
 * flight, 75s step), on the same real Prometheus backfilled with 7 days of N Deployments × 3 pods
 * × 2 containers in 4 namespaces, scraped every 5 minutes. Each tool gets a fresh Prometheus on the
 * same (already compacted) TSDB, and the bench reads, per tool:
 *
 *   queries             Prometheus' own prometheus_http_requests_total (query and query_range)
 *   wall                the tool's run, start to end (rightsize: the CLI process)
 *   Prometheus CPU      Prometheus' own process_cpu_seconds_total, after minus before
 *   bytes               what Prometheus sent, on the wire (a counting TCP proxy; both ask for gzip)
 *   Prometheus peak     the process's peak RSS during the run (VmHWM, reset before the run)
 *
 * Then, on the largest size: rightsize's statistics against the statistics as rightsize computed
 * them on the server before (test/helpers/server-side-statistics.ts) on one namespace, and a
 * second TSDB of the same size whose scrapes are off the query grid, to check no container is
 * left without statistics.
 *
 *   npx tsx bench/observe.bench.ts [workloads…] [--no-misaligned] [--no-oracle]   default: 100 300
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { parseObservationSnapshotText, type ObservationSnapshot } from "../src/domain/index.js";
import { queryWindow, rateRange } from "../src/observe/prometheus/queries.js";
import { scenarioFamilies, type Scenario, type ScenarioNamespace } from "../test/helpers/cluster-metrics.js";
import { backfill, startPrometheus, type RunningPrometheus } from "../test/helpers/prometheus.js";
import { serverSideStatistics, STATISTICS } from "../test/helpers/server-side-statistics.js";

const DAY = 86_400;
const MI = 1024 * 1024;
const TO = Date.parse("2025-03-10T00:00:00Z") / 1000;
const WINDOW = 7 * DAY;
const NAMESPACES = 4;
const PODS_PER_WORKLOAD = 3;
const CONTAINERS = ["app", "sidecar"] as const;
// A real Prometheus scrapes every 15–60s; backfilling 7 days of 1,800 containers at that rate
// takes far longer than a benchmark should on two cores, so the scenario is scraped every 5m.
const SCRAPE_SECONDS = 300;

function deploymentName(index: number): string {
  return `svc-${String(index).padStart(3, "0")}`;
}

/** `misaligned`: every pod's scrapes fall off the query grid, by a different offset per namespace. */
function scenarioOf(workloads: number, misaligned: boolean): Scenario {
  const namespaces: ScenarioNamespace[] = Array.from({ length: NAMESPACES }, (_, index) => ({
    name: `team-${index + 1}`,
    ...(misaligned ? { scrapeOffset: 37 + 61 * index } : {}),
    replicaSets: [],
    jobs: [],
    hpas: [],
    pods: [],
  }));
  for (let index = 0; index < workloads; index++) {
    const namespace = namespaces[index % NAMESPACES]!;
    const deployment = deploymentName(index);
    const replicaSet = `${deployment}-5d8f7c9b6`;
    namespace.replicaSets.push({ name: replicaSet, owner: { kind: "Deployment", name: deployment } });
    for (let replica = 0; replica < PODS_PER_WORKLOAD; replica++) {
      namespace.pods.push({
        name: `${replicaSet}-${replica}x${index}`,
        owner: { kind: "ReplicaSet", name: replicaSet },
        start: TO - WINDOW - DAY,
        end: TO,
        containers: [
          {
            name: "app",
            cpu: { base: 0.2 + (index % 7) * 0.05, amplitude: 0.1, periodSeconds: DAY, phaseSeconds: replica * 3600 },
            memory: { base: (200 + (index % 11) * 20) * MI, amplitude: 30 * MI, periodSeconds: DAY },
            requests: { cpu: 0.5, memory: 512 * MI },
            limits: { cpu: 1, memory: 1024 * MI },
            throttledRatio: 0.02,
          },
          {
            name: "sidecar",
            cpu: { base: 0.02, amplitude: 0.01, periodSeconds: 6 * 3600 },
            memory: { base: 50 * MI, amplitude: 5 * MI, periodSeconds: 6 * 3600 },
            requests: { cpu: 0.05, memory: 64 * MI },
          },
        ],
      });
    }
  }
  return { scrapeInterval: SCRAPE_SECONDS, start: TO - WINDOW - DAY, end: TO, namespaces };
}

// ---------------------------------------------------------------------------------------------
// Prometheus, fresh per tool

interface PrometheusReading {
  cpuSeconds: number;
  queries: number;
}

async function readPrometheus(url: string): Promise<PrometheusReading> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (pattern: RegExp) => [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
  return {
    cpuSeconds: value(/^process_cpu_seconds_total (\S+)$/gm),
    queries: value(/^prometheus_http_requests_total\{code="\d+",handler="\/api\/v1\/query(?:_range)?"\} (\S+)$/gm),
  };
}

/**
 * A Prometheus that has run for a week holds its blocks compacted, and its compaction loop first
 * runs a minute after it starts. Measuring while it compacts would measure the compaction, so
 * this waits until the loop has run and the block count is steady.
 */
async function waitUntilSettled(url: string): Promise<number> {
  const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  const deadline = Date.now() + 600_000;
  let previous = -1;
  let steady = 0;
  while (Date.now() < deadline) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const blocks = metric(text, "prometheus_tsdb_blocks_loaded");
    const triggered = metric(text, "prometheus_tsdb_compactions_triggered_total");
    steady = triggered > 0 && blocks === previous ? steady + 1 : 0;
    if (steady >= 3) return blocks;
    previous = blocks;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  return previous;
}

interface PeakMemory {
  /** VmHWM: the peak resident set, reset before the run. */
  total: number;
  /** The largest anonymous (heap) and file-backed (the TSDB's mapped chunk and index files) parts seen, polled every 100ms. */
  anonymous: number;
  file: number;
  /** Resident set when the run started. */
  before: number;
}

/** Peak resident memory of a process from now on: VmHWM after resetting it, and a poll of its parts. */
async function watchPeakMemory(pid: number): Promise<() => Promise<PeakMemory>> {
  const status = async () => readFile(`/proc/${pid}/status`, "utf8");
  const kilobytes = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? Number.NaN);
  let reset = true;
  try {
    await writeFile(`/proc/${pid}/clear_refs`, "5");
  } catch {
    reset = false;
  }
  const first = await status();
  const before = kilobytes(first, "VmRSS");
  let polled = before;
  let anonymous = kilobytes(first, "RssAnon");
  let file = kilobytes(first, "RssFile");
  const timer = setInterval(() => {
    void status()
      .then((text) => {
        polled = Math.max(polled, kilobytes(text, "VmRSS"));
        anonymous = Math.max(anonymous, kilobytes(text, "RssAnon"));
        file = Math.max(file, kilobytes(text, "RssFile"));
      })
      .catch(() => undefined);
  }, 100);
  return async () => {
    clearInterval(timer);
    const hwm = kilobytes(await status(), "VmHWM");
    const total = reset && Number.isFinite(hwm) ? Math.max(hwm, polled) : polled;
    return { total: total * 1024, anonymous: anonymous * 1024, file: file * 1024, before: before * 1024 };
  };
}

/** Counts the bytes Prometheus sends to the tool, as they are on the wire. */
async function startCountingProxy(target: RunningPrometheus): Promise<{ url: string; received: () => number; stop: () => Promise<void> }> {
  let received = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, "127.0.0.1");
    sockets.add(client).add(upstream);
    upstream.on("data", (chunk: Buffer) => (received += chunk.length));
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface ToolRun {
  tool: string;
  queries: number;
  wallSeconds: number;
  prometheusCpuSeconds: number;
  bytes: number;
  prometheusPeakBytes: number;
  prometheusPeak: PeakMemory;
  /** rightsize only: its own peak RSS and the snapshot it wrote. */
  clientPeakBytes?: number;
  snapshot?: ObservationSnapshot;
}

async function measureTool(
  data: string,
  tool: string,
  run: (url: string) => Promise<Omit<ToolRun, "tool" | "queries" | "wallSeconds" | "prometheusCpuSeconds" | "bytes" | "prometheusPeakBytes" | "prometheusPeak">>,
): Promise<ToolRun> {
  const prometheus = await startPrometheus(data);
  try {
    await waitUntilSettled(prometheus.url);
    const proxy = await startCountingProxy(prometheus);
    try {
      const before = await readPrometheus(prometheus.url);
      const peak = await watchPeakMemory(prometheus.pid);
      const started = Date.now();
      const extra = await run(proxy.url);
      const wallSeconds = (Date.now() - started) / 1000;
      const prometheusPeak = await peak();
      const after = await readPrometheus(prometheus.url);
      return {
        tool,
        queries: after.queries - before.queries,
        wallSeconds,
        prometheusCpuSeconds: after.cpuSeconds - before.cpuSeconds,
        bytes: proxy.received(),
        prometheusPeakBytes: prometheusPeak.total,
        prometheusPeak,
        ...extra,
      };
    } finally {
      await proxy.stop();
    }
  } finally {
    await prometheus.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// rightsize: the CLI, in its own process

async function runRightsize(url: string, directory: string): Promise<{ clientPeakBytes: number; snapshot: ObservationSnapshot }> {
  const output = path.join(directory, "snapshot.json");
  const namespaces = Array.from({ length: NAMESPACES }, (_, index) => ["--namespace", `team-${index + 1}`]).flat();
  const args = ["snapshot", "--prometheus", url, ...namespaces, "--window", "7d", "--at", new Date(TO * 1000).toISOString(), "--output", output, "--timeout", "120s"];
  const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const result = await new Promise<{ status: number; stderr: string }>((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-f", "peak-rss-kb=%M", process.execPath, "--import", "tsx", main, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ status: code ?? -1, stderr }));
  });
  if (result.status !== 0) throw new Error(`rightsize snapshot failed (${result.status}): ${result.stderr}`);
  if (process.env.BENCH_VERBOSE) process.stderr.write(result.stderr);
  const peak = /peak-rss-kb=(\d+)/.exec(result.stderr);
  return { clientPeakBytes: peak ? Number(peak[1]) * 1024 : Number.NaN, snapshot: parseObservationSnapshotText(await readFile(output, "utf8"), output) };
}

// ---------------------------------------------------------------------------------------------
// KRR's query pattern, re-implemented from robusta-dev/krr (robusta_krr/core/integrations/
// prometheus: metrics/cpu.py, metrics/memory.py, metrics/base.py, metrics_service/
// prometheus_metrics_service.py; core/runner.py; strategies/simple.py). Not KRR's code: its
// query strings, batching and concurrency, so that Prometheus sees the same load.

/** KRR's ThreadPoolExecutor(settings.max_workers = 6): at most 6 queries in flight. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

interface KrrSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

/** KRR talks to Prometheus through `requests`, which asks for gzip, and parses each answer whole. */
function krrRequest(url: string, path: string, form: Record<string, string>): Promise<KrrSeries[]> {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString();
    const request = http.request(
      `${url}${path}`,
      { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "accept-encoding": "gzip, deflate", "content-length": Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        const stream = response.headers["content-encoding"] === "gzip" ? response.pipe(zlib.createGunzip()) : response;
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { status: string; error?: string; data?: { result: KrrSeries[] } };
          if (parsed.status !== "success") reject(new Error(`KRR pattern: Prometheus refused a query: ${parsed.error}`));
          else resolve(parsed.data!.result);
        });
        stream.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

async function runKrrPattern(url: string, workloads: number): Promise<Record<string, never>> {
  const slots = new Slots(6);
  const step = "75s"; // settings.timeframe_duration = 1.25 minutes
  const duration = "7d"; // _step_to_string(history_duration = 168h)
  const query = (promql: string) => slots.run(() => krrRequest(url, "/api/v1/query", { query: promql, time: String(TO) }));
  const queryRange = (promql: string, start: number, end: number, stepSeconds: number) =>
    slots.run(() => krrRequest(url, "/api/v1/query_range", { query: promql, start: String(start), end: String(end), step: String(stepSeconds) }));
  const batched = <T>(items: T[], size: number) => Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, index * size + size));

  // runner._check_data_availability and prometheus_metrics_service.get_cluster_summary.
  await queryRange("max(prometheus_tsdb_head_series)", TO - 5 * 3600, TO, 3600);
  for (const promql of [
    "sum(max by (instance) (machine_memory_bytes{  }))",
    "sum(max by (instance) (machine_cpu_cores{  }))",
    "sum(max(kube_pod_container_resource_requests{ namespace='kube-system', resource='memory'  })  by (job, pod, container) )",
    "sum(max(kube_pod_container_resource_requests{ namespace='kube-system', resource='cpu'  })  by (job, pod, container) )",
  ]) {
    await query(promql);
  }

  // One K8sObjectData per workload container, all gathered at once (runner._collect_result).
  const object = async (namespace: string, deployment: string, container: string) => {
    // load_pods: ReplicaSets of the Deployment, their pods (batches of 100), which pods run (batches of 100).
    const replicaSets = await query(`kube_replicaset_owner{owner_name="${deployment}", owner_kind="Deployment", namespace="${namespace}"}[${duration}]`);
    const owners = [...new Set(replicaSets.map((series) => series.metric.replicaset!))];
    const pods: string[] = [];
    for (const group of batched(owners, 100)) {
      const result = await query(`last_over_time(kube_pod_owner{owner_name=~"${group.join("|")}", owner_kind="ReplicaSet", namespace="${namespace}"}[${duration}])`);
      pods.push(...result.map((series) => series.metric.pod!));
    }
    for (const group of batched(pods, 100)) {
      await query(`kube_pod_status_phase{phase="Running", pod=~"${group.join("|")}", namespace="${namespace}"} == 1`);
    }
    // gather_data: the simple strategy's metrics in order, each split into batches of 50 pods.
    const selector = (metric: string, group: string[]) => `${metric}{namespace="${namespace}", pod=~"${group.join("|")}", container="${container}"}`;
    const loaders = [
      (group: string[]) => `quantile_over_time(0.95, max(rate(${selector("container_cpu_usage_seconds_total", group)}[${step}])) by (container, pod, job)[${duration}:${step}])`,
      (group: string[]) => `max_over_time(max(${selector("container_memory_working_set_bytes", group)}) by (container, pod, job)[${duration}:${step}])`,
      (group: string[]) => `count_over_time(max(${selector("container_cpu_usage_seconds_total", group)}) by (container, pod, job)[${duration}:${step}])`,
      (group: string[]) => `count_over_time(max(${selector("container_memory_working_set_bytes", group)}) by (container, pod, job)[${duration}:${step}])`,
    ];
    for (const loader of loaders) await Promise.all(batched(pods, 50).map((group) => query(loader(group))));
  };
  const objects: Array<Promise<void>> = [];
  for (let index = 0; index < workloads; index++) {
    for (const container of CONTAINERS) objects.push(object(`team-${(index % NAMESPACES) + 1}`, deploymentName(index), container));
  }
  await Promise.all(objects);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Checks of rightsize's statistics

/** Largest relative difference between rightsize's statistics and the server-side ones, on one namespace. */
async function compareWithServerSide(url: string, snapshot: ObservationSnapshot, namespace: string, range: number): Promise<{ compared: number; maxRelative: number }> {
  const window = queryWindow(TO, WINDOW);
  let compared = 0;
  let maxRelative = 0;
  for (const resource of ["cpu", "memory"] as const) {
    const server = await serverSideStatistics(url, namespace, resource, { to: TO, seconds: WINDOW, step: window.step }, range);
    for (const observation of snapshot.workloads.filter((candidate) => candidate.workload.namespace === namespace)) {
      for (const container of observation.containers) {
        const expected = server.get(`${observation.workload.kind}/${observation.workload.name}/${container.name}`);
        const actual = container[resource];
        if (!expected || !actual) throw new Error(`${namespace}/${observation.workload.name}/${container.name}: ${resource} statistics missing on one side`);
        for (const statistic of STATISTICS) {
          if (expected[statistic] === undefined) continue;
          const difference = Math.abs(actual[statistic] - expected[statistic]) / Math.max(Math.abs(expected[statistic]), 1e-12);
          maxRelative = Math.max(maxRelative, difference);
          compared++;
        }
      }
    }
  }
  return { compared, maxRelative };
}

function completeness(snapshot: ObservationSnapshot): { containers: number; withoutCpu: number; withoutMemory: number; problems: number } {
  const containers = snapshot.workloads.flatMap((workload) => workload.containers);
  return {
    containers: containers.length,
    withoutCpu: containers.filter((container) => !container.cpu).length,
    withoutMemory: containers.filter((container) => !container.memory).length,
    problems: (snapshot.problems?.length ?? 0) + snapshot.workloads.reduce((sum, workload) => sum + workload.problems.length, 0),
  };
}

// ---------------------------------------------------------------------------------------------

interface SizeResult {
  workloads: number;
  samples: number;
  backfillSeconds: number;
  blocks: number;
  rightsize: ToolRun;
  krr: ToolRun;
}

async function prepare(directory: string, workloads: number, misaligned: boolean): Promise<{ data: string; samples: number; seconds: number; blocks: number }> {
  const data = path.join(directory, misaligned ? "tsdb-misaligned" : "tsdb");
  const backfilled = await backfill(data, scenarioFamilies(scenarioOf(workloads, misaligned)));
  // Compact once, so that every tool's fresh Prometheus starts on the same blocks.
  const prometheus = await startPrometheus(data);
  let blocks: number;
  try {
    blocks = await waitUntilSettled(prometheus.url);
  } finally {
    await prometheus.stop();
  }
  return { data, samples: backfilled.samples, seconds: backfilled.seconds, blocks };
}

const mib = (bytes: number) => `${(bytes / MI).toFixed(0)} MiB`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function printTable(results: SizeResult[]): void {
  const rows = [["", "containers", "queries", "wall", "Prometheus CPU", "bytes received", "Prometheus peak RSS", "of it heap / mapped files", "rightsize peak RSS"]];
  for (const result of results) {
    const containers = String(result.workloads * PODS_PER_WORKLOAD * CONTAINERS.length);
    for (const run of [result.rightsize, result.krr]) {
      rows.push([
        run.tool,
        containers,
        String(run.queries),
        `${run.wallSeconds.toFixed(1)} s`,
        `${run.prometheusCpuSeconds.toFixed(1)} s`,
        mb(run.bytes),
        mib(run.prometheusPeakBytes),
        `${mib(run.prometheusPeak.anonymous)} / ${mib(run.prometheusPeak.file)}`,
        run.clientPeakBytes === undefined ? "" : mib(run.clientPeakBytes),
      ]);
    }
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    rows.push([
      "rightsize / KRR",
      containers,
      ratio(result.rightsize.queries, result.krr.queries),
      ratio(result.rightsize.wallSeconds, result.krr.wallSeconds),
      ratio(result.rightsize.prometheusCpuSeconds, result.krr.prometheusCpuSeconds),
      ratio(result.rightsize.bytes, result.krr.bytes),
      ratio(result.rightsize.prometheusPeakBytes, result.krr.prometheusPeakBytes),
      `${ratio(result.rightsize.prometheusPeak.anonymous, result.krr.prometheusPeak.anonymous)} / ${ratio(result.rightsize.prometheusPeak.file, result.krr.prometheusPeak.file)}`,
      "",
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const [index, row] of rows.entries()) {
    console.log(`| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`);
    if (index === 0) console.log(`| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`);
  }
}

function prometheusVersion(): string {
  return /version (\S+)/.exec(execFileSync("prometheus", ["--version"], { encoding: "utf8" }))?.[1] ?? "(unknown version)";
}

const flags = new Set(process.argv.slice(2).filter((arg) => arg.startsWith("--")));
const sizes = process.argv
  .slice(2)
  .filter((arg) => !arg.startsWith("--"))
  .map(Number)
  .filter((value) => value > 0);
const chosen = sizes.length > 0 ? sizes : [100, 300];
console.log(
  `observe bench: Prometheus ${prometheusVersion()} backfilled with promtool; 7-day window; ${NAMESPACES} namespaces; ${PODS_PER_WORKLOAD} pods × ${CONTAINERS.length} containers per Deployment; ` +
    `scrape interval ${SCRAPE_SECONDS / 60}m (coarser than a real scrape, to keep backfilling short); ${os.cpus().length} cores`,
);
const results: SizeResult[] = [];
const directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-bench-observe-"));
try {
  for (const workloads of chosen) {
    const prepared = await prepare(directory, workloads, false);
    console.log(`${workloads} Deployments: backfilled ${(prepared.samples / 1e6).toFixed(1)}M samples in ${prepared.seconds.toFixed(0)}s (${prepared.blocks} blocks after compaction)`);
    const krr = await measureTool(prepared.data, "KRR pattern", (url) => runKrrPattern(url, workloads));
    const rightsize = await measureTool(prepared.data, "rightsize", (url) => runRightsize(url, directory));
    results.push({ workloads, samples: prepared.samples, backfillSeconds: prepared.seconds, blocks: prepared.blocks, rightsize, krr });
    console.log(`  Prometheus resident before each run: KRR pattern ${mib(krr.prometheusPeak.before)}, rightsize ${mib(rightsize.prometheusPeak.before)}`);
    const complete = completeness(rightsize.snapshot!);
    const snapshot = rightsize.snapshot!;
    const queryBytes = JSON.stringify(snapshot.queries ?? {}).length;
    const referenceBytes = snapshot.workloads.reduce((sum, workload) => sum + JSON.stringify(workload.queries).length, 0);
    console.log(
      `  rightsize: ${snapshot.workloads.length} workloads, ${complete.containers} containers, ${complete.withoutCpu} without CPU and ${complete.withoutMemory} without memory statistics, ${complete.problems} problems; ` +
        `the snapshot's ${Object.keys(snapshot.queries ?? {}).length} queries take ${(queryBytes / 1024).toFixed(0)} KiB, the workloads' references to them ${(referenceBytes / snapshot.workloads.length).toFixed(0)} bytes each`,
    );
    if (workloads === Math.max(...chosen) && !flags.has("--no-oracle")) {
      // The statistics as rightsize computed them on the server before, on one namespace.
      const prometheus = await startPrometheus(prepared.data);
      try {
        const window = queryWindow(TO, WINDOW);
        const now = rateRange(window, SCRAPE_SECONDS);
        const same = await compareWithServerSide(prometheus.url, rightsize.snapshot!, "team-1", now);
        console.log(`  team-1: ${same.compared} statistics against the server-side ones over the same ${now}s rate range: largest relative difference ${same.maxRelative.toExponential(2)}`);
        const before = await compareWithServerSide(prometheus.url, rightsize.snapshot!, "team-1", window.step);
        console.log(`  team-1: against the server-side ones over the ${window.step}s rate range used before (one 5m scrape per range): largest relative difference ${before.maxRelative.toExponential(2)}`);
      } finally {
        await prometheus.stop();
      }
    }
    await rm(prepared.data, { recursive: true, force: true });
  }
  printTable(results);
  const largest = results.at(-1)!;
  if (!flags.has("--no-misaligned")) {
    const prepared = await prepare(directory, largest.workloads, true);
    const run = await measureTool(prepared.data, "rightsize (scrapes off the grid)", (url) => runRightsize(url, directory));
    const complete = completeness(run.snapshot!);
    console.log(
      `misaligned scrapes, ${largest.workloads} Deployments: ${complete.containers} containers, ${complete.withoutCpu} without CPU and ${complete.withoutMemory} without memory statistics, ${complete.problems} problems; ` +
        `${run.queries} queries, ${run.wallSeconds.toFixed(1)} s wall, ${run.prometheusCpuSeconds.toFixed(1)} s Prometheus CPU, ${mib(run.prometheusPeakBytes)} Prometheus peak`,
    );
    if (complete.withoutCpu + complete.withoutMemory > 0) process.exitCode = 1;
  }
  const goal = (name: string, met: boolean, detail: string) => console.log(`goal ${met ? "met" : "NOT met"}: ${name} (${detail})`);
  goal("Prometheus CPU at most half of the KRR pattern's", largest.rightsize.prometheusCpuSeconds <= largest.krr.prometheusCpuSeconds / 2, `${largest.rightsize.prometheusCpuSeconds.toFixed(1)} s vs ${largest.krr.prometheusCpuSeconds.toFixed(1)} s`);
  goal("wall time at most half of the KRR pattern's", largest.rightsize.wallSeconds <= largest.krr.wallSeconds / 2, `${largest.rightsize.wallSeconds.toFixed(1)} s vs ${largest.krr.wallSeconds.toFixed(1)} s`);
  goal(
    "Prometheus peak memory no higher than the KRR pattern's",
    largest.rightsize.prometheusPeakBytes <= largest.krr.prometheusPeakBytes,
    `${mib(largest.rightsize.prometheusPeakBytes)} vs ${mib(largest.krr.prometheusPeakBytes)}; heap ${mib(largest.rightsize.prometheusPeak.anonymous)} vs ${mib(largest.krr.prometheusPeak.anonymous)}, mapped TSDB files ${mib(largest.rightsize.prometheusPeak.file)} vs ${mib(largest.krr.prometheusPeak.file)}`,
  );
} finally {
  await rm(directory, { recursive: true, force: true });
}
