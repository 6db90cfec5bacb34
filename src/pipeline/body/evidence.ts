import { code, safeMarkdown } from "../../domain/index.js";
import type { DecisionRecord } from "../../recommend/index.js";

/** Untrusted text in a table cell. */
const cell = (text: string) => code(text, { inTable: true });

export function renderFiles(files: readonly string[]): string {
  return `Files changed: ${files.map((file) => code(file)).join(", ")}`;
}

export function renderEvidence(record: DecisionRecord): string {
  const { observation } = record;
  const lines = [
    `#### Evidence: ${code(`${record.workload.kind}/${record.workload.name}`)}`,
    "",
    `Window ${observation.window.from} → ${observation.window.to} (${observation.mode}, source ${observation.source}), ${observation.pods} pod${observation.pods === 1 ? "" : "s"}, coverage ${(observation.coverage * 100).toFixed(0)}%.`,
  ];
  if (observation.runs) {
    lines.push(`Runs: ${observation.runs.observed} observed, ${observation.runs.succeeded} succeeded, ${observation.runs.failed} failed (failed runs are excluded from the percentiles).`);
    const failed = failedRuns(record);
    if (failed.length > 0) {
      // SPEC §5: failed runs are counted, not sized for; the reviewer still sees what they used.
      lines.push(
        `Left out of the percentiles (a failed run's peak may be a crash's or a runaway's, not the work of a finished run): ${failed
          .map((run) => {
            const peaks = Object.entries(run.containers).map(([name, peak]) => `${code(name)} peaked at ${displayCores(peak.cpuPeak)} CPU and ${displayBytes(peak.memoryPeak)} memory`);
            return `${code(run.run)} (${runTime(run.startedAt)}, exit code ${run.exitCode ?? "unknown"})${peaks.length > 0 ? `, where ${peaks.join(", ")}` : ""}`;
          })
          .join("; ")}.`,
      );
    }
  }
  lines.push("", "| Container | Resource | p50 | p90 | p95 | p99 | max | samples |", "| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const container of record.containers) {
    for (const resource of ["cpu", "memory"] as const) {
      const usage = container.usage[resource];
      if (!usage) continue;
      const show = resource === "cpu" ? displayCores : displayBytes;
      lines.push(`| ${cell(container.name)} | ${resource} | ${show(usage.p50)} | ${show(usage.p90)} | ${show(usage.p95)} | ${show(usage.p99)} | ${show(usage.max)} | ${usage.samples} |`);
    }
  }
  for (const container of record.containers) {
    const { oomKills, restarts, throttledRatio } = container.evidence;
    // SPEC §4: unknown evidence is shown as unknown, with the metric that was missing.
    const unknown = (evidence: "oomKills" | "restarts" | "throttling") => {
      const metric = container.evidence.unknown?.find((entry) => entry.evidence === evidence)?.metric;
      return `${evidence === "oomKills" ? "OOM kills" : evidence === "restarts" ? "restarts" : "CPU throttling"} unknown (no ${code(metric ?? "metric")})`;
    };
    const kills =
      oomKills === null ? unknown("oomKills") : oomKills.length === 0 ? "no OOM kills" : `${oomKills.length} OOM kill${oomKills.length === 1 ? "" : "s"} (${oomKills.map((kill) => `${kill.at} in ${code(kill.pod)}`).join(", ")})`;
    const restartText = restarts === null ? unknown("restarts") : `${restarts} restart${restarts === 1 ? "" : "s"}`;
    const throttling = throttledRatio === null ? unknown("throttling") : `CPU throttled ${(throttledRatio * 100).toFixed(1)}% of periods`;
    lines.push(`- ${code(container.name)}: ${kills}, ${restartText}, ${throttling}.`);
    for (const reason of container.reasons) lines.push(`  - ${safeMarkdown(reason)}`);
  }
  return lines.join("\n");
}

/** The failed runs of a run-based record, with their per-run peaks. */
export function failedRuns(record: DecisionRecord): NonNullable<DecisionRecord["observation"]["runs"]>["perRunPeaks"] {
  return (record.observation.runs?.perRunPeaks ?? []).filter((run) => !run.succeeded);
}

/** A run's start as a reviewer reads it: `2026-11-19 02:30Z`. */
export function runTime(startedAt: string): string {
  return `${startedAt.slice(0, 16).replace("T", " ")}Z`;
}

/** Measured usage for reading, not for manifests: millicores or cores, MiB or GiB, one or two decimals. */
/** Usage as a reviewer reads it: `180.5m`, `1.25` cores; `220.3Mi`, `1.5Gi`. */
export function displayCores(cores: number): string {
  return cores >= 1 ? `${Number(cores.toFixed(2))}` : `${Number((cores * 1000).toFixed(1))}m`;
}

export function displayBytes(bytes: number): string {
  const gibibyte = 1024 ** 3;
  return bytes >= gibibyte ? `${Number((bytes / gibibyte).toFixed(2))}Gi` : `${Number((bytes / 1024 ** 2).toFixed(1))}Mi`;
}
