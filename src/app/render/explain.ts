import { code, parseQuantity, safeMarkdown } from "../../domain/index.js";
import type { ContainerDecision, DecisionRecord } from "../../recommend/index.js";

/**
 * `/rightsize explain [CONTAINER]` (SPEC §9): the decision record's reasons and arithmetic in
 * words, so a reviewer can redo each number without reading JSON.
 */
export function renderExplanation(records: readonly DecisionRecord[], container?: string): string {
  const sections: string[] = [];
  for (const record of records) {
    const containers = record.containers.filter((candidate) => container === undefined || candidate.name === container);
    for (const decision of containers) sections.push(explainContainer(record, decision));
  }
  if (sections.length === 0) {
    const names = records.flatMap((record) => record.containers.map((candidate) => code(candidate.name)));
    return `rightsize has no container ${code(container ?? "")} in this proposal; its containers are ${names.join(", ")}.`;
  }
  const [first] = records;
  const window = first ? ` over ${first.observation.window.from} → ${first.observation.window.to}` : "";
  return [`rightsize derived this proposal as follows (decision records of ${first?.createdAt ?? "?"}${window}):`, ...sections].join("\n\n");
}

function explainContainer(record: DecisionRecord, container: ContainerDecision): string {
  const lines = [`#### ${code(container.name)} in ${record.workload.kind} ${code(`${record.workload.namespace}/${record.workload.name}`)}`, ""];
  const factors = container.confidence.factors.map((factor) => `${factor.name} ${factor.observed} → ${factor.points} (${factor.effect})`).join(", ");
  lines.push(`- Safety **${container.safety}**; confidence **${container.confidence.level}** (${container.confidence.score}/100${factors ? `: ${factors}` : ""}).`);
  for (const resource of ["cpu", "memory"] as const) {
    const derivation = container.derivation[resource];
    const from = container.current.requests[resource] ?? "unset";
    const to = container.recommended.requests[resource];
    if (!derivation || to === undefined) {
      lines.push(`- ${resource === "cpu" ? "CPU" : "Memory"} request stays ${from}: no recommendation.`);
      continue;
    }
    const change = container.change[resource];
    const percent = change === null ? "" : ` (${change > 0 ? "+" : ""}${change.toFixed(1)}%)`;
    const show = (text: string) => readable(text, resource);
    lines.push(
      `- ${resource === "cpu" ? "CPU" : "Memory"} request ${from} → ${to}${percent}: the ${derivation.percentile} of usage is ${show(derivation.observed)}; × margin ${derivation.margin} = ${show(derivation.target)}; after floors, rounding, holds and bounds: ${derivation.computed}.`,
    );
  }
  const { oomKills, restarts, throttledRatio } = container.evidence;
  // SPEC §4: evidence that was not measured is unknown, with the metric that was missing.
  const unknown = (what: string, evidence: string) => `${what} unknown (no ${code(container.evidence.unknown?.find((entry) => entry.evidence === evidence)?.metric ?? "metric")})`;
  const kills = oomKills === null ? unknown("OOM kills", "oomKills") : `${oomKills.length} OOM kill${oomKills.length === 1 ? "" : "s"}`;
  const restartText = restarts === null ? unknown("restarts", "restarts") : `${restarts} restart${restarts === 1 ? "" : "s"}`;
  const throttling = throttledRatio === null ? unknown("CPU throttling", "throttling") : `CPU throttled in ${(throttledRatio * 100).toFixed(1)}% of periods`;
  lines.push(`- Evidence: ${kills}, ${restartText}, ${throttling}.`);
  if (container.reasons.length > 0) lines.push("- Reasons:", ...container.reasons.map((reason) => `  - ${safeMarkdown(reason)}`));
  lines.push(`- Action: **${container.action}**.`);
  return lines.join("\n");
}

/** A derivation's exact quantity (`126500u`) as a person reads it: millicores or cores, MiB or GiB. */
function readable(text: string, resource: "cpu" | "memory"): string {
  const value = Number(parseQuantity(text).nanos) / 1e9;
  if (resource === "cpu") return value >= 1 ? `${Number(value.toFixed(3))}` : `${Number((value * 1000).toFixed(1))}m`;
  const mebibytes = value / 1024 ** 2;
  return mebibytes >= 1024 ? `${Number((mebibytes / 1024).toFixed(2))}Gi` : `${Number(mebibytes.toFixed(1))}Mi`;
}
