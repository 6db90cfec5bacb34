/**
 * One shared store for many clusters against a Prometheus per cluster (SPEC §4): two clusters of
 * N Deployments × 3 pods × 2 containers in 4 namespaces, 7 days scraped every 5 minutes, each
 * backfilled into its own real Prometheus and both imported into one real VictoriaMetrics under a
 * `cluster` label. Per cluster and store, the bench prints:
 *
 *   wall        observeWithPrometheus, start to end (the same code `rightsize snapshot` runs)
 *   requests    HTTP requests sent (queries, and one metric-names look-up per namespace)
 *   longest     the longest query text sent (characters)
 *   workloads   workloads observed
 *   equal       statistics (p50…p99, max, samples, memory) equal to 1e-9, against the cluster's own Prometheus
 *   mean diff   the largest relative difference of a CPU mean (rate() extrapolation at series edges)
 *
 * and the same against VictoriaMetrics with a maximum query length of 4,096 characters.
 *
 *   npx tsx bench/stores.bench.ts [workloads]   default: 20 per cluster
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { WorkloadObservation } from "../src/domain/index.js";
import { observeWithPrometheus, type PrometheusSourceOptions } from "../src/observe/index.js";
import { scenarioFamilies, type Scenario, type ScenarioNamespace } from "../test/helpers/cluster-metrics.js";
import { backfill, startPrometheus, type RunningPrometheus } from "../test/helpers/prometheus.js";
import { importFamilies, startVictoriaMetrics } from "../test/helpers/victoria-metrics.js";

const DAY = 86_400;
const MI = 1024 * 1024;
const TO = Date.parse("2025-03-10T00:00:00Z") / 1000;
const WINDOW = 7 * DAY;
const NAMESPACES = ["team-1", "team-2", "team-3", "team-4"];
const SCRAPE_SECONDS = 300;

function scenarioOf(workloads: number, load: number): Scenario {
  const namespaces: ScenarioNamespace[] = NAMESPACES.map((name) => ({ name, replicaSets: [], jobs: [], hpas: [], pods: [] }));
  for (let index = 0; index < workloads; index++) {
    const namespace = namespaces[index % namespaces.length]!;
    const deployment = `svc-${String(index).padStart(3, "0")}`;
    const replicaSet = `${deployment}-5d8f7c9b6`;
    namespace.replicaSets.push({ name: replicaSet, owner: { kind: "Deployment", name: deployment } });
    for (let replica = 0; replica < 3; replica++) {
      namespace.pods.push({
        name: `${replicaSet}-${replica}x${index}`,
        owner: { kind: "ReplicaSet", name: replicaSet },
        start: TO - WINDOW - DAY,
        end: TO,
        containers: [
          {
            name: "app",
            cpu: { base: load * (0.2 + (index % 7) * 0.05), amplitude: 0.1, periodSeconds: DAY, phaseSeconds: replica * 3600 },
            memory: { base: (200 + (index % 11) * 20) * MI * load, amplitude: 30 * MI, periodSeconds: DAY },
            requests: { cpu: 0.5, memory: 512 * MI },
            limits: { cpu: 1, memory: 1024 * MI },
            throttledRatio: 0.02,
          },
          { name: "sidecar", cpu: { base: 0.02, amplitude: 0.01, periodSeconds: 6 * 3600 }, memory: { base: 50 * MI, amplitude: 5 * MI, periodSeconds: 6 * 3600 }, requests: { cpu: 0.05, memory: 64 * MI } },
        ],
      });
    }
  }
  return { scrapeInterval: SCRAPE_SECONDS, start: TO - WINDOW - DAY, end: TO, namespaces };
}

interface Run {
  seconds: number;
  requests: number;
  longest: number;
  workloads: WorkloadObservation[];
}

async function observe(options: PrometheusSourceOptions, cluster: string): Promise<Run> {
  let requests = 0;
  let longest = 0;
  const counting: typeof fetch = (input, init) => {
    requests++;
    const query = new URLSearchParams(String(init?.body ?? "")).get("query");
    if (query) longest = Math.max(longest, query.length);
    return fetch(input, init);
  };
  const started = performance.now();
  const window = { from: new Date((TO - WINDOW) * 1000).toISOString(), to: new Date(TO * 1000).toISOString() };
  const { workloads } = await observeWithPrometheus({ ...options, fetch: counting }, { cluster, namespaces: NAMESPACES, window });
  return { seconds: (performance.now() - started) / 1000, requests, longest, workloads };
}

/** Whether every statistic but CPU means is equal to 1e-9, and the largest relative CPU-mean difference. */
function compare(actual: WorkloadObservation[], expected: WorkloadObservation[]): { equal: boolean; meanDifference: number } {
  let equal = actual.length === expected.length;
  let meanDifference = 0;
  const walk = (a: unknown, b: unknown, where: string) => {
    if (typeof a === "number" && typeof b === "number") {
      const relative = Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
      if (/\.cpu\.mean$/.test(where)) meanDifference = Math.max(meanDifference, relative);
      else if (!/\.series\./.test(where) && relative > 1e-9) equal = false;
      return;
    }
    if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
      if (JSON.stringify(a) !== JSON.stringify(b)) equal = false;
      return;
    }
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) if (key !== "queries") walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${where}.${key}`);
  };
  walk(actual, expected, "");
  return { equal, meanDifference };
}

async function main(): Promise<void> {
  const workloads = Number(process.argv[2] ?? 20);
  const directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-stores-bench-"));
  const servers: Array<{ stop(): Promise<void> }> = [];
  try {
    const victoria = await startVictoriaMetrics(path.join(directory, "victoria"));
    servers.push(victoria);
    const strict = await startVictoriaMetrics(path.join(directory, "strict"), { maxQueryLength: 4096 });
    servers.push(strict);
    const own: Record<string, RunningPrometheus> = {};
    for (const [cluster, load] of [
      ["eu", 1],
      ["us", 1.5],
    ] as const) {
      const families = scenarioFamilies(scenarioOf(workloads, load));
      const backfilled = await backfill(path.join(directory, cluster), families);
      own[cluster] = await startPrometheus(path.join(directory, cluster), { lookbackDelta: "5m" });
      servers.push(own[cluster]);
      const started = performance.now();
      const imported = await importFamilies(victoria.url, families, { cluster });
      await importFamilies(strict.url, families, { cluster });
      console.log(
        `cluster ${cluster}: ${workloads} Deployments, ${imported.toLocaleString("en")} samples; promtool backfill ${backfilled.seconds.toFixed(1)}s, VictoriaMetrics import ${((performance.now() - started) / 2000).toFixed(1)}s`,
      );
    }
    console.log("");
    console.log("cluster  store                                   wall    requests  longest  workloads  equal  CPU mean diff");
    for (const cluster of ["eu", "us"]) {
      const reference = await observe({ url: own[cluster]!.url }, cluster);
      const row = (store: string, run: Run) => {
        const { equal, meanDifference } = compare(run.workloads, reference.workloads);
        console.log(
          `${cluster.padEnd(8)} ${store.padEnd(39)} ${run.seconds.toFixed(2).padStart(5)}s ${String(run.requests).padStart(9)} ${String(run.longest).padStart(8)} ${String(run.workloads.length).padStart(10)}  ${(equal ? "yes" : "NO").padEnd(5)}  ${meanDifference.toExponential(1)}`,
        );
      };
      row("own Prometheus", reference);
      row("VictoriaMetrics, cluster label", await observe({ url: victoria.url, cluster: { label: "cluster", value: cluster } }, cluster));
      row("VictoriaMetrics, label, max query 4096", await observe({ url: strict.url, cluster: { label: "cluster", value: cluster }, maxQueryLength: 4096 }, cluster));
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(directory, { recursive: true, force: true });
  }
}

await main();
