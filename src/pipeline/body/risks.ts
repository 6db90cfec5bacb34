import { code, isSameQuantity } from "../../domain/index.js";
import type { ContainerDecision, DecisionRecord } from "../../recommend/index.js";
import { displayBytes } from "./evidence.js";

export function renderRisks(records: readonly DecisionRecord[]): string {
  const lines = ["#### Risks and rollback", ""];
  for (const record of records) {
    for (const container of record.containers.filter((candidate) => candidate.action === "change")) {
      const cpu = container.change.cpu;
      const memory = container.change.memory;
      if (cpu !== null && cpu < 0) {
        lines.push(`- ${code(container.name)} CPU goes down ${Math.abs(cpu).toFixed(1)}%: bursts above the new request compete for CPU on busy nodes; watch latency after the rollout.`);
      }
      if (memory !== null && memory < 0) {
        const peak = container.usage.memory ? displayBytes(container.usage.memory.max) : "the observed peak";
        lines.push(`- ${code(container.name)} memory goes down ${Math.abs(memory).toFixed(1)}% but stays above the observed peak (${peak}); a workload whose memory grows beyond the window's peak may be evicted under node pressure.`);
      }
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
      if ((cpu ?? 0) > 0 || (memory ?? 0) > 0) {
        lines.push(`- ${code(container.name)} requests go up: pods need more room to schedule; check the namespace quota and node capacity.`);
      }
      const limitChanged = (["cpu", "memory"] as const).filter((resource) => container.current.limits[resource] !== container.recommended.limits[resource]);
      if (limitChanged.length > 0) lines.push(`- ${code(container.name)} ${limitChanged.join(" and ")} ${limitChanged.length > 1 ? "limits change" : "limit changes"} as well (policy \`recommend.limits\`).`);
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
