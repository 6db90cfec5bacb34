/**
 * Observation at scale: `rightsize snapshot --prometheus` against a real Prometheus backfilled
 * with 7 days of 200 workloads × 3 pods × 2 containers (and the same for 20 workloads), in four
 * namespaces. Prints the queries sent, the wall time and the peak memory of the snapshot command.
 * The query count must be the same for 20 and 200 workloads (SPEC §4: it grows with namespaces).
 *
 *   npx tsx bench/observe.bench.ts [workloads…]        default: 20 200
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { scenarioFamilies, type Scenario, type ScenarioNamespace } from "../test/helpers/cluster-metrics.js";
import { forward, startLoopbackServer } from "../test/helpers/http.js";
import { backfill, startPrometheus } from "../test/helpers/prometheus.js";

const DAY = 86_400;
const MI = 1024 * 1024;
const TO = Date.parse("2025-03-10T00:00:00Z") / 1000;
const WINDOW = 7 * DAY;
const NAMESPACES = 4;
const PODS_PER_WORKLOAD = 3;
// A real Prometheus scrapes every 15–60s; backfilling 7 days of 1,200 containers at that rate
// takes far longer than a benchmark should on two cores, so the scenario is scraped every 5m.
// The queries and their number do not change with the scrape interval.
const SCRAPE_SECONDS = 300;

function scenarioOf(workloads: number): Scenario {
  const namespaces: ScenarioNamespace[] = Array.from({ length: NAMESPACES }, (_, index) => ({ name: `team-${index + 1}`, replicaSets: [], jobs: [], hpas: [], pods: [] }));
  for (let index = 0; index < workloads; index++) {
    const namespace = namespaces[index % NAMESPACES]!;
    const deployment = `svc-${String(index).padStart(3, "0")}`;
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

interface Measurement {
  workloads: number;
  samples: number;
  backfillSeconds: number;
  queries: number;
  wallSeconds: number;
  peakMegabytes: number;
  snapshotBytes: number;
  observed: number;
  blocks: number;
}

async function measure(workloads: number): Promise<Measurement> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-bench-observe-"));
  try {
    const data = path.join(directory, "tsdb");
    const backfilled = await backfill(data, scenarioFamilies(scenarioOf(workloads)));
    const prometheus = await startPrometheus(data);
    const blocks = await waitForCompaction(prometheus.url);
    // Count what the command sends: every request passes through this loopback proxy.
    const proxy = await startLoopbackServer((request) => forward(request, prometheus.url));
    try {
      const output = path.join(directory, "snapshot.json");
      const namespaces = Array.from({ length: NAMESPACES }, (_, index) => ["--namespace", `team-${index + 1}`]).flat();
      const args = ["snapshot", "--prometheus", proxy.url, ...namespaces, "--window", "7d", "--at", new Date(TO * 1000).toISOString(), "--output", output, "--timeout", "120s"];
      const run = await runSnapshotCommand(args);
      if (run.status !== 0) throw new Error(`rightsize snapshot failed (${run.status}): ${run.stderr}`);
      if (process.env.BENCH_VERBOSE) process.stderr.write(run.stderr);
      const snapshot = JSON.parse(await readFile(output, "utf8")) as { workloads: unknown[] };
      return {
        workloads,
        samples: backfilled.samples,
        backfillSeconds: backfilled.seconds,
        queries: proxy.requests.length,
        wallSeconds: run.seconds,
        peakMegabytes: run.peakKilobytes / 1024,
        snapshotBytes: (await stat(output)).size,
        observed: snapshot.workloads.length,
        blocks,
      };
    } finally {
      await proxy.stop();
      await prometheus.stop();
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * promtool writes one block per 2 hours; a Prometheus that has run for a week holds them
 * compacted. Measuring while the first compaction runs would measure the compaction, so this
 * waits until Prometheus has compacted and its block count is steady.
 */
async function waitForCompaction(url: string): Promise<number> {
  const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  const deadline = Date.now() + 300_000;
  let previous = -1;
  let steady = 0;
  while (Date.now() < deadline) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const blocks = metric(text, "prometheus_tsdb_blocks_loaded");
    const compactions = metric(text, "prometheus_tsdb_compactions_total");
    steady = compactions > 0 && blocks === previous ? steady + 1 : 0;
    if (steady >= 3) return blocks;
    previous = blocks;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  return previous;
}

/** Runs the CLI in its own process under /usr/bin/time, which reports the peak resident set. */
function runSnapshotCommand(args: string[]): Promise<{ status: number; seconds: number; peakKilobytes: number; stderr: string }> {
  const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-f", "peak-rss-kb=%M", process.execPath, "--import", "tsx", main, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const peak = /peak-rss-kb=(\d+)/.exec(stderr);
      resolve({ status: code ?? -1, seconds: (Date.now() - started) / 1000, peakKilobytes: peak ? Number(peak[1]) : Number.NaN, stderr });
    });
  });
}

function prometheusVersion(): string {
  return /version (\S+)/.exec(execFileSync("prometheus", ["--version"], { encoding: "utf8" }))?.[1] ?? "(unknown version)";
}

const sizes = process.argv.slice(2).map(Number).filter((value) => value > 0);
const results: Measurement[] = [];
console.log(
  `observe bench: Prometheus ${prometheusVersion()} backfilled with promtool; 7-day window; ${NAMESPACES} namespaces; ${PODS_PER_WORKLOAD} pods × 2 containers per workload; ` +
    `scrape interval ${SCRAPE_SECONDS / 60}m (coarser than a real scrape, to keep backfilling short on this machine)`,
);
for (const workloads of sizes.length > 0 ? sizes : [20, 200]) {
  const result = await measure(workloads);
  results.push(result);
  console.log(
    [
      `workloads ${result.workloads} (${result.workloads * PODS_PER_WORKLOAD} pods, ${result.workloads * PODS_PER_WORKLOAD * 2} containers)`,
      `backfilled ${(result.samples / 1e6).toFixed(1)}M samples in ${result.backfillSeconds.toFixed(0)}s (${result.blocks} blocks after compaction)`,
      `queries ${result.queries}`,
      `snapshot wall ${result.wallSeconds.toFixed(1)}s`,
      `peak RSS ${result.peakMegabytes.toFixed(0)} MiB`,
      `snapshot ${(result.snapshotBytes / 1024).toFixed(0)} KiB, ${result.observed} workloads`,
    ].join(" | "),
  );
}
const counts = new Set(results.map((result) => result.queries));
console.log(
  counts.size === 1
    ? `query count is the same for every size: ${[...counts][0]} (${[...counts][0]! / NAMESPACES} per namespace)`
    : `query count differs between sizes: ${[...counts].join(", ")}`,
);
if (counts.size !== 1) process.exitCode = 1;
