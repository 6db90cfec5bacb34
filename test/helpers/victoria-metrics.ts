import { mkdir } from "node:fs/promises";
import { freePort, renderLabels, startServer, type MetricFamily } from "./prometheus.js";

/**
 * A real single-node VictoriaMetrics (Debian package `victoria-metrics`) for tests and benchmarks:
 * one store holding several clusters' series, told apart by a label, as Thanos, Mimir and
 * VictoriaMetrics are run in front of many clusters. Samples are imported in the Prometheus text
 * format with millisecond timestamps, then flushed so that queries see them at once.
 */
export interface RunningVictoriaMetrics {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface VictoriaMetricsOptions {
  /** -search.maxQueryLen: the longest query text it accepts (its default is 16KiB). */
  maxQueryLength?: number;
}

export async function startVictoriaMetrics(dataDirectory: string, options: VictoriaMetricsOptions = {}): Promise<RunningVictoriaMetrics> {
  await mkdir(dataDirectory, { recursive: true });
  const port = await freePort();
  return startServer("victoria-metrics", [
    `-storageDataPath=${dataDirectory}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    // The samples are historical: keep all of them, however old.
    "-retentionPeriod=100y",
    // Answers from the imported data only, never a cached older answer.
    "-search.disableCache",
    "-loggerLevel=ERROR",
    ...(options.maxQueryLength ? [`-search.maxQueryLen=${options.maxQueryLength}`] : []),
  ], port, "/health");
}

/** Imports every sample of the families with `labels` added to each series (e.g. `{cluster: "eu"}`). */
export async function importFamilies(url: string, families: MetricFamily[], labels: Record<string, string>): Promise<number> {
  let samples = 0;
  let lines: string[] = [];
  const flush = async () => {
    if (lines.length === 0) return;
    const response = await fetch(`${url}/api/v1/import/prometheus`, { method: "POST", body: `${lines.join("\n")}\n` });
    if (!response.ok) throw new Error(`VictoriaMetrics import failed: HTTP ${response.status} ${await response.text()}`);
    lines = [];
  };
  for (const family of families) {
    for (const series of family.series) {
      const rendered = renderLabels({ ...series.labels, ...labels });
      for (let t = series.start; t <= series.end; t += series.interval) {
        const value = series.value(t);
        if (value === undefined) continue;
        lines.push(`${family.name}${rendered} ${value} ${t * 1000}`);
        samples++;
        if (lines.length >= 50_000) await flush();
      }
    }
  }
  await flush();
  const flushed = await fetch(`${url}/internal/force_flush`);
  if (!flushed.ok) throw new Error(`VictoriaMetrics flush failed: HTTP ${flushed.status}`);
  return samples;
}
