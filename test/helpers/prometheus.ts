import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

/**
 * A real Prometheus for tests and benchmarks: metric families are written as OpenMetrics,
 * backfilled into a TSDB with `promtool tsdb create-blocks-from openmetrics`, and served by
 * `prometheus` on a free 127.0.0.1 port.
 */

export interface MetricSeries {
  labels: Record<string, string>;
  /** First and last sample time (unix seconds); samples every `interval` from `start`. */
  start: number;
  end: number;
  interval: number;
  /** The sample at t, or undefined for none. */
  value(t: number): number | undefined;
}

export interface MetricFamily {
  /** The sample name; a counter's ends in `_total`. */
  name: string;
  type: "counter" | "gauge";
  series: MetricSeries[];
}

// promtool cuts blocks at 2h boundaries and re-reads its whole input once per block, so the
// input is written one 2h file at a time: each file is read once, whatever the time span.
const BLOCK_SECONDS = 7200;

export interface BackfillReport {
  samples: number;
  blocks: number;
  seconds: number;
}

export async function backfill(directory: string, families: MetricFamily[], options: { parallel?: number } = {}): Promise<BackfillReport> {
  const started = Date.now();
  await mkdir(directory, { recursive: true });
  const staging = `${directory}.openmetrics`;
  await mkdir(staging, { recursive: true });
  const seriesList = families.flatMap((family) => family.series);
  if (seriesList.length === 0) throw new Error("backfill: no series");
  const first = Math.min(...seriesList.map((series) => series.start));
  const last = Math.max(...seriesList.map((series) => series.end));
  const blocks: number[] = [];
  for (let block = Math.floor(first / BLOCK_SECONDS) * BLOCK_SECONDS; block <= last; block += BLOCK_SECONDS) blocks.push(block);
  let samples = 0;
  const running = new Set<Promise<void>>();
  const parallel = options.parallel ?? 2;
  for (const block of blocks) {
    const file = path.join(staging, `${block}.om`);
    const { text, count } = renderBlock(families, block, block + BLOCK_SECONDS);
    if (count === 0) continue;
    samples += count;
    await writeFile(file, text);
    const job = runPromtool(file, directory).then(() => rm(file));
    running.add(job);
    void job.finally(() => running.delete(job));
    if (running.size >= parallel) await Promise.race(running);
  }
  await Promise.all(running);
  await rm(staging, { recursive: true, force: true });
  return { samples, blocks: blocks.length, seconds: (Date.now() - started) / 1000 };
}

function renderBlock(families: MetricFamily[], from: number, to: number): { text: string; count: number } {
  const lines: string[] = [];
  let count = 0;
  for (const family of families) {
    const familyName = family.type === "counter" ? family.name.replace(/_total$/, "") : family.name;
    let typed = false;
    for (const series of family.series) {
      if (series.end < from || series.start >= to) continue;
      const labels = renderLabels(series.labels);
      const firstStep = Math.max(0, Math.ceil((from - series.start) / series.interval));
      for (let t = series.start + firstStep * series.interval; t < to && t <= series.end; t += series.interval) {
        const value = series.value(t);
        if (value === undefined) continue;
        if (!typed) {
          lines.push(`# TYPE ${familyName} ${family.type}`);
          typed = true;
        }
        lines.push(`${family.name}${labels} ${value} ${t}`);
        count++;
      }
    }
  }
  lines.push("# EOF", "");
  return { text: lines.join("\n"), count };
}

/** Labels in the exposition format: `{name="value",…}`. */
export function renderLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([name, value]) => `${name}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return `{${parts.join(",")}}`;
}

function runPromtool(file: string, directory: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["tsdb", "create-blocks-from", "openmetrics", "-q", file, directory], { stdio: ["ignore", "ignore", "pipe"] });
    let errors = "";
    child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`promtool failed on ${file} (exit ${code}): ${errors.trim()}`))));
  });
}

export interface RunningPrometheus {
  url: string;
  port: number;
  /** Process id, for benchmarks that read its memory from /proc. */
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Prometheus on a backfilled TSDB; no scrape targets, so the data stays what was backfilled. */
export async function startPrometheus(dataDirectory: string, options: { lookbackDelta?: string } = {}): Promise<RunningPrometheus> {
  const port = await freePort();
  const config = `${dataDirectory}.prometheus.yml`;
  await writeFile(config, "global: {}\n");
  const server = await startServer("prometheus", [
    `--storage.tsdb.path=${dataDirectory}`,
    `--config.file=${config}`,
    `--web.listen-address=127.0.0.1:${port}`,
    // Retention counts back from the newest block; the backfilled days must all stay.
    "--storage.tsdb.retention.time=100y",
    "--log.level=warn",
    ...(options.lookbackDelta ? [`--query.lookback-delta=${options.lookbackDelta}`] : []),
  ], port, "/-/ready");
  return { ...server, port };
}

/**
 * A server binary on 127.0.0.1:`port` (Prometheus, VictoriaMetrics), ready when `readyPath`
 * answers; stopped (SIGTERM, SIGKILL after 10 s) by `stop`, also when it never got ready.
 */
export async function startServer(binary: string, args: readonly string[], port: number, readyPath: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => stopProcess(child);
  try {
    await waitUntilReady(binary, `${url}${readyPath}`, child, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid!, stop };
}

async function waitUntilReady(binary: string, readyUrl: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${binary} exited with ${child.exitCode}: ${log()}`);
    try {
      const response = await fetch(readyUrl);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${binary} at ${readyUrl} not ready after 60s: ${log()}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
