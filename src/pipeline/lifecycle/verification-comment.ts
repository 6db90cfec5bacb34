import { MARKERS } from "./markers.js";
import { code, workloadKey } from "../../domain/index.js";
import type { DecisionRecord } from "../../recommend/index.js";
import { beforeAfterChart } from "../body/charts.js";
import { displayBytes, displayCores } from "../body/evidence.js";
import { worstVerdict, type Verdict, type WorkloadCheck } from "./verification.js";


const VERDICT_WORDS: Record<Verdict, string> = {
  fits: "fits (usage below 80% of the new request)",
  tight: "tight (usage at 80–95% of the new request)",
  wrong: "wrong (usage above 95% of the new request, or an OOM kill)",
};

/**
 * The one comment on a merged rightsize pull request once its values have run for
 * `verifyAfter` (SPEC §8): per container the new p95 and peak against the new requests, the
 * evidence, the verdict, and a chart of usage before and after against the old and new request.
 */
export function renderVerificationComment(checks: readonly WorkloadCheck[], records: readonly DecisionRecord[], rolledOutAt: string, action?: string): string {
  const overall = worstVerdict(checks.map((check) => check.verdict));
  const lines = [`**rightsize checked these requests after they ran from ${rolledOutAt} (rollout seen) to ${checks[0]?.window.to ?? "now"}: ${VERDICT_WORDS[overall]}.**`, ""];
  lines.push("| Workload | Container | Resource | New request | p95 | Peak | Judged | Verdict |", "| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const check of checks) {
    for (const container of check.containers) {
      for (const resource of container.resources) {
        const show = resource.resource === "cpu" ? displayCores : displayBytes;
        lines.push(
          `| ${code(check.key, { inTable: true })} | ${code(container.container, { inTable: true })} | ${resource.resource} | ${resource.request} | ${show(resource.p95)} | ${show(resource.peak)} | ${(resource.ratio * 100).toFixed(0)}% (${resource.judged}) | ${resource.verdict} |`,
        );
      }
    }
  }
  lines.push("");
  for (const check of checks) {
    for (const container of check.containers) {
      // SPEC §4: evidence the observation could not measure is unknown, never 0.
      const unknown = (evidence: string) => container.unknown?.find((entry) => entry.evidence === evidence);
      const said = (evidence: string, what: string, known: string) => {
        const entry = unknown(evidence);
        return entry ? `${what} unknown (no ${code(entry.metric)})` : known;
      };
      const kills = said("oomKills", "OOM kills", `${container.oomKills} OOM kill${container.oomKills === 1 ? "" : "s"}`);
      const restarts = said("restarts", "restarts", `${container.restarts} restart${container.restarts === 1 ? "" : "s"}`);
      const throttling = said("throttling", "CPU throttling", `CPU throttled in ${(container.throttledRatio * 100).toFixed(1)}% of periods`);
      lines.push(`- ${code(container.container)}: ${kills}, ${restarts}, ${throttling}; **${container.verdict}**.`);
    }
  }
  const charts = checks.flatMap((check) => chartsOf(check, records.find((record) => workloadKey(record.workload) === check.key)));
  if (charts.length > 0) lines.push("", "Before (the window the proposal was computed from) and after, against the old and the new request:", "", charts.join("\n\n"));
  if (action) lines.push("", action);
  lines.push("", MARKERS.verification);
  return lines.join("\n");
}

/** Said once when the merged values never showed up in the cluster. */
export function renderNoRolloutComment(mergedAt: string, days: number): string {
  return `rightsize could not check these requests: ${days} days after the merge (${mergedAt}) the cluster still runs the old values. Is the change synced (Argo CD, Flux)? rightsize will check again once the new values run.\n\n${MARKERS.noRollout}`;
}

function chartsOf(check: WorkloadCheck, record: DecisionRecord | undefined): string[] {
  if (!record) return [];
  return check.containers.flatMap((container) => {
    const decision = record.containers.find((candidate) => candidate.name === container.container);
    if (!decision) return [];
    return container.resources.map((resource) => {
      const before = decision.usage[resource.resource];
      const bars = [
        ...(before ? [{ label: "before p95", value: before.p95 }, { label: "before peak", value: before.max }] : []),
        { label: "after p95", value: resource.p95 },
        { label: "after peak", value: resource.peak },
      ];
      return beforeAfterChart(`${record.workload.name}/${container.container} ${resource.resource}`, resource.resource, bars, decision.current.requests[resource.resource], resource.request);
    });
  });
}
