import { code, isSameQuantity, parseQuantity, safeMarkdown } from "../../domain/index.js";
import type { ContainerDecision, DecisionRecord } from "../../recommend/index.js";
import { displayBytes, failedRuns, runTime } from "./evidence.js";

export function renderRisks(records: readonly DecisionRecord[]): string {
  const lines = ["#### Risks and rollback", ""];
  for (const record of records) {
    for (const container of record.containers.filter((candidate) => candidate.action === "change")) {
      const cpu = container.change.cpu;
      const memory = container.change.memory;
      if (cpu !== null && cpu < 0) {
        lines.push(`- ${code(container.name)} CPU goes down ${Math.abs(cpu).toFixed(1)}%: bursts above the new request compete for CPU on busy nodes; watch latency after the rollout.`);
      }
      if (memory !== null && memory < 0) lines.push(memoryDecreaseRisk(record, container, memory));
      const kills = container.evidence.oomKills;
      if (kills && kills.length > 0 && (memory ?? 0) > 0) {
        lines.push(`- ${code(container.name)} was OOM-killed ${kills.length} time${kills.length === 1 ? "" : "s"} in the window: its memory goes up and will not be lowered while OOM kills are in the window.`);
      }
      if (kills === null) {
        lines.push(`- ${code(container.name)}: its OOM kills are unknown (a metric is missing; \`rightsize doctor\` names it), so its memory is not lowered (policy \`apply.unknownOomKills\`).`);
      }
      lines.push(...trendRisks(container));
      if (container.safety === "UNSAFE") {
        lines.push(`- ${code(container.name)} is rated UNSAFE: only the increases it needs are proposed; its decreases wait until the cause (OOM kills, restarts) is fixed.`);
      }
      const newlySet = (["cpu", "memory"] as const).filter(
        (resource) => container.recommended.requests[resource] !== undefined && container.current.requests[resource] === undefined && container.current.limits[resource] === undefined,
      );
      if (newlySet.length > 0) {
        lines.push(`- ${code(container.name)} gets ${newlySet.map((resource) => (resource === "cpu" ? "a CPU" : "a memory")).join(" and ")} request where none was set: the scheduler reserves it from now on, so pods need that room on a node; check the namespace quota and node capacity.`);
      } else if ((cpu ?? 0) > 0 || (memory ?? 0) > 0) {
        lines.push(`- ${code(container.name)} requests go up: pods need more room to schedule; check the namespace quota and node capacity.`);
      }
      lines.push(...limitRisks(container));
    }
    if (record.containers.every((container) => hasGuaranteedShape(container.current)) && !record.containers.every((container) => hasGuaranteedShape(container.recommended))) {
      lines.push(
        `- ${record.workload.kind} ${code(record.workload.name)} leaves the Guaranteed QoS class for Burstable: its requests no longer all equal its limits (policy \`recommend.limits\`). Burstable pods are evicted before Guaranteed ones under node pressure; \`recommend.limits: keep\` keeps the class.`,
      );
    }
  }
  lines.push("", "Rollback: revert this pull request's merge commit; Argo CD or Flux roll the old values out again. rightsize never changes the cluster itself.");
  return lines.join("\n");
}

/**
 * A memory cut, said against the highest usage seen: the window's peak, or for a Job or CronJob
 * the successful runs' peak and, apart, the failed runs' (left out of the percentiles, SPEC §5),
 * so the text never calls the new request "above the peak" when a run went higher.
 */
function memoryDecreaseRisk(record: DecisionRecord, container: ContainerDecision, change: number): string {
  const name = code(container.name);
  const written = container.recommended.requests.memory;
  const request = written === undefined ? undefined : Number(parseQuantity(written).nanos) / 1e9;
  const peak = container.usage.memory?.max;
  const down = `${name} memory goes down ${Math.abs(change).toFixed(1)}%${written === undefined ? "" : ` to ${written}`}`;
  const runs = record.observation.runs;
  const peakText = peak === undefined ? "" : runs ? `the peak of the ${runs.succeeded} successful run${runs.succeeded === 1 ? "" : "s"} (${displayBytes(peak)})` : `the observed peak (${displayBytes(peak)})`;
  if (peak !== undefined && request !== undefined && peak > request) {
    return `- ${down}, below ${peakText}: a pod that uses that much again uses more than its request and is evicted first under node pressure${limitBelow(container, peak)}.`;
  }
  const above = peak === undefined ? "" : `, above ${peakText}`;
  const higher = failedRuns(record)
    .map((run) => ({ run, peak: run.containers[container.name]?.memoryPeak }))
    .filter((entry): entry is { run: (typeof entry)["run"]; peak: number } => entry.peak !== undefined && request !== undefined && entry.peak > request);
  if (higher.length > 0) {
    const failed = higher.map((entry) => `${code(entry.run.run)} (${runTime(entry.run.startedAt)}, exit code ${entry.run.exitCode ?? "unknown"}) peaked at ${displayBytes(entry.peak)}`).join("; ");
    const top = Math.max(...higher.map((entry) => entry.peak));
    return (
      `- ${down}${above}, but below what ${higher.length === 1 ? "a failed run" : `${higher.length} failed runs`} used: ${failed}. ` +
      `Failed runs are left out of the sizing (a failed run's peak may be a crash's or a runaway's, not the work of a finished run), so if that usage was real work, a run like it needs more than the new request and is evicted first under node pressure${limitBelow(container, top)}. Find out why ${higher.length === 1 ? "it" : "they"} failed before merging.`
    );
  }
  const every = runs && runs.failed > 0 ? " (failed runs included)" : "";
  return `- ${down}${above}${every}; a workload whose memory grows beyond the window's peak may be evicted under node pressure.`;
}

/** ", and OOM-killed at its memory limit X" when the new limit is below `bytes`. */
function limitBelow(container: ContainerDecision, bytes: number): string {
  const limit = container.recommended.limits.memory;
  return limit !== undefined && Number(parseQuantity(limit).nanos) / 1e9 < bytes ? `, and OOM-killed at its memory limit ${limit}` : "";
}

/**
 * Each limit that moves, with the engine's reason (SPEC §5: `keep` raises a limit only as far as
 * the new values need; other modes say their mode), so the PR names the real cause.
 */
function limitRisks(container: ContainerDecision): string[] {
  return (["cpu", "memory"] as const)
    .filter((resource) => container.current.limits[resource] !== container.recommended.limits[resource])
    .map((resource) => {
      const from = container.current.limits[resource];
      const to = container.recommended.limits[resource];
      const values = to === undefined ? `${from} → removed` : `${from ?? "unset"} → ${to}`;
      const reason = container.reasons.find((line) => line.startsWith(`${resource} limit `));
      const why = reason ? /^\S+ limit (?:.+? → \S+|\S+ removed): (.*)$/.exec(reason)?.[1] : undefined;
      return `- ${code(container.name)} ${resource} limit changes too (${values}): ${why ? safeMarkdown(why) : "see its reasons under Evidence"}.`;
    });
}

/** SPEC §5 trends: what a growing container or a step change means for the reviewer, and what to do. */
function trendRisks(container: ContainerDecision): string[] {
  const lines: string[] = [];
  const memory = container.derivation.memory;
  if (memory?.trend?.growing) {
    lines.push(
      `- ${code(container.name)} memory grows ${rate(memory.trend.slopePerDay, "memory")} (likely a leak): the new request covers the projected peak over ${memory.trend.horizon} (${memory.trend.projected}) and no more. Find the leak (a heap profile, the allocations since the last release) or restart the pods on a schedule; until then rightsize keeps raising memory and never lowers it.`,
    );
  }
  const cpu = container.derivation.cpu;
  if (cpu?.trend?.growing) {
    lines.push(`- ${code(container.name)} CPU grows ${rate(cpu.trend.slopePerDay, "cpu")}: the request covers the projection over ${cpu.trend.horizon} (${cpu.trend.projected} before its margin); if the growth is traffic, an HPA on CPU scales better than ever larger requests.`);
  }
  for (const resource of ["cpu", "memory"] as const) {
    const step = container.derivation[resource]?.step;
    if (step) lines.push(`- ${code(container.name)} ${resource} changed level at ${step.at.slice(0, 16)}Z (a release?): it is sized from the data after that; if the change is reverted, refresh this proposal.`);
  }
  return lines;
}

function rate(perDay: number, resource: "cpu" | "memory"): string {
  if (resource === "cpu") return `~${Number((perDay * 1000).toPrecision(2))}m/day`;
  const mebibytes = perDay / 1024 ** 2;
  return mebibytes >= 1024 ? `~${Number((mebibytes / 1024).toPrecision(2))}Gi/day` : `~${Number(mebibytes.toPrecision(2))}Mi/day`;
}

/** Kubernetes QoS, one container's part: CPU and memory limits set, and requests (when set) equal to them. */
function hasGuaranteedShape(resources: ContainerDecision["current"]): boolean {
  return (["cpu", "memory"] as const).every((resource) => {
    const limit = resources.limits[resource];
    const request = resources.requests[resource];
    return limit !== undefined && (request === undefined || isSameQuantity(request, limit));
  });
}
