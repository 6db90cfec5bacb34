/**
 * `rightsize recommend` on a snapshot of 10,000 containers (issue: under 2 s). Prints the time
 * of each stage in-process, of the whole command in-process, and of the built CLI as a user
 * runs it (when dist/ exists), with the cost per container.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseObservationSnapshotText } from "../src/domain/index.js";
import { runCli } from "../src/cli/program.js";
import { DEFAULT_POLICY, DEFAULTS_SOURCE } from "../src/policy/index.js";
import { recommendSnapshot } from "../src/recommend/index.js";
import { TOOL } from "../src/version.js";
import { random } from "./random.js";

const CONTAINERS = 10_000;
const CONTAINERS_PER_WORKLOAD = 4;
const RUN_BASED_EVERY = 10; // one workload in ten is a CronJob observed over 20 runs
const BUDGET_MS = 2_000;
const MI = 1024 * 1024;


function generateSnapshot(): string {
  const next = random(42);
  const round = (value: number, digits: number) => Number(value.toFixed(digits));
  const ordered = (scale: number, digits: number) => {
    const values = Array.from({ length: 5 }, () => round(next() * scale, digits)).sort((a, b) => a - b) as [number, number, number, number, number];
    return { p50: values[0], p90: values[1], p95: values[2], p99: values[3], max: values[4], mean: values[0], samples: 20_160 };
  };
  const workloads = Array.from({ length: CONTAINERS / CONTAINERS_PER_WORKLOAD }, (_, index) => {
    const runBased = index % RUN_BASED_EVERY === 0;
    const names = Array.from({ length: CONTAINERS_PER_WORKLOAD }, (_, container) => `c${container}`);
    const containers = names.map((name) => ({
      name,
      current: { requests: { cpu: `${50 + Math.floor(next() * 2_000)}m`, memory: `${64 + Math.floor(next() * 4_000)}Mi` }, limits: { memory: "8Gi" } },
      ...(runBased ? {} : { cpu: ordered(2, 3), memory: ordered(3_000 * MI, 0) }),
      oomKills: next() < 0.02 ? [{ at: "2026-11-20T03:12:00Z", pod: `w${index}-0` }] : [],
      restarts: next() < 0.1 ? Math.floor(next() * 8) : 0,
      throttledRatio: round(next() * 0.3, 3),
    }));
    return {
      workload: { cluster: "prod", namespace: `ns-${index % 50}`, kind: runBased ? "CronJob" : "Deployment", name: `workload-${index}` },
      source: "prometheus",
      mode: runBased ? "run-based" : "continuous",
      window: { from: "2026-11-07T06:00:00Z", to: "2026-11-21T06:00:00Z" },
      pods: 3,
      coverage: round(0.7 + next() * 0.3, 3),
      queries: [],
      containers,
      ...(runBased
        ? {
            runs: Array.from({ length: 20 }, (_, run) => ({
              run: `workload-${index}-${run}`,
              // Two runs a day from the window's first day: a snapshot only holds runs inside its window.
              startedAt: `2026-11-${String(7 + Math.floor(run / 2)).padStart(2, "0")}T${run % 2 === 0 ? "08" : "20"}:00:00Z`,
              durationSeconds: 200,
              exitCode: 0,
              succeeded: true,
              containers: Object.fromEntries(names.map((name) => [name, { cpuPeak: round(next() * 2, 3), memoryPeak: Math.floor(next() * 3_000) * MI }])),
            })),
          }
        : {}),
    };
  });
  return JSON.stringify({ schemaVersion: 1, kind: "ObservationSnapshot", createdAt: "2026-11-21T06:00:00Z", workloads });
}

function time<T>(work: () => T): { value: T; ms: number } {
  const start = process.hrtime.bigint();
  const value = work();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

async function timeAsync<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

const line = (label: string, ms: number) =>
  console.log(`${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms   ${((ms * 1000) / CONTAINERS).toFixed(1).padStart(7)} µs/container`);

const directory = mkdtempSync(path.join(tmpdir(), "rightsize-bench-"));
const file = path.join(directory, "snapshot.json");
const startDirectory = process.cwd();
try {
  writeFileSync(file, generateSnapshot());
  console.log(`rightsize recommend: ${CONTAINERS} containers in ${CONTAINERS / CONTAINERS_PER_WORKLOAD} workloads (1 in ${RUN_BASED_EVERY} run-based, 20 runs)`);

  const text = readFileSync(file, "utf8");
  const parsed = time(() => parseObservationSnapshotText(text, file));
  line("parse and validate the snapshot", parsed.ms);
  const recommended = time(() => [...recommendSnapshot(parsed.value, { tool: TOOL, policy: DEFAULT_POLICY, policySource: DEFAULTS_SOURCE, at: parsed.value.createdAt })]);
  line("recommend (engine, records, digests)", recommended.ms);
  const printed = time(() => JSON.stringify(recommended.value, null, 2));
  line("serialise the decision records", printed.ms);

  // The command itself, in-process, with its output counted instead of printed.
  process.chdir(directory);
  const realWrite = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => ((bytes += chunk.length), true)) as typeof process.stdout.write;
  const command = await timeAsync(() => runCli(["recommend", "--observation", file]));
  process.stdout.write = realWrite;
  process.exitCode = undefined;
  line(`rightsize recommend, in-process (${(bytes / 1e6).toFixed(1)} MB out)`, command.ms);

  const cli = fileURLToPath(new URL("../bin/rightsize.js", import.meta.url));
  const built = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
  // The verdict is on the built CLI (what users run); under tsx the in-process numbers carry transpiler overhead.
  let total = command.ms;
  if (existsSync(built)) {
    // Best of three: other processes on the machine only ever make a run slower.
    const runs = Array.from({ length: 3 }, () => {
      const start = process.hrtime.bigint();
      const child = spawnSync(process.execPath, [cli, "recommend", "--observation", file], { stdio: ["ignore", "ignore", "pipe"], cwd: directory });
      return { child, ms: Number(process.hrtime.bigint() - start) / 1e6 };
    });
    const { child } = runs[0]!;
    const ms = Math.min(...runs.map((entry) => entry.ms));
    if (child.status === 0 || child.status === 1) {
      line("node bin/rightsize.js recommend (process, best of 3)", ms);
      const startup = Math.min(
        ...Array.from({ length: 3 }, () => {
          const start = process.hrtime.bigint();
          spawnSync(process.execPath, [cli, "recommend", "--help"], { stdio: "ignore" });
          return Number(process.hrtime.bigint() - start) / 1e6;
        }),
      );
      line("  of which node startup and loading the CLI", startup);
      total = ms;
    } else if (String(child.stderr).includes("unknown command 'recommend'")) {
      console.log("dist/ predates the recommend command: run npm run build to time the built CLI as well");
    } else {
      throw new Error(`the built CLI failed (exit ${child.status}): ${child.stderr}`);
    }
  } else {
    console.log("dist/ not built: run npm run build to time the built CLI as well");
  }
  console.log(`${total < BUDGET_MS ? "within" : "OVER"} the ${BUDGET_MS} ms budget`);
  if (total >= BUDGET_MS) process.exitCode = 1;
} finally {
  process.chdir(startDirectory);
  rmSync(directory, { recursive: true, force: true });
}
