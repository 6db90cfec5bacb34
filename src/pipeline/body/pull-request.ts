import type { WorkloadObservation } from "../../domain/index.js";
import { code, formatCpu, formatMemory, isSameQuantity, parseQuantity, safeMarkdown, workloadKey } from "../../domain/index.js";
import type { Policy } from "../../policy/index.js";
import { describeMonthlyCost, type ContainerDecision, type DecisionRecord } from "../../recommend/index.js";
import { renderCharts } from "./charts.js";
import { renderStateMarker, type ProposalState } from "../lifecycle/state.js";

/** Untrusted text in a table cell. */
const cell = (text: string) => code(text, { inTable: true });

/** GitHub rejects PR bodies longer than this many characters. */
export const GITHUB_BODY_LIMIT = 65_536;

export interface PullRequestInput {
  records: DecisionRecord[];
  branch: string;
  policy: Policy;
  /** The observations behind the records, for the usage charts (records do not carry series). */
  observations?: WorkloadObservation[];
  /** Files the proposal edits, with the file that defines each value (kustomize overlays, Helm values). */
  files?: string[];
  /** Containers left out by `/rightsize ignore`, carried in the state marker to later proposals. */
  ignored?: Record<string, string[]>;
}

export interface RenderedPullRequest {
  title: string;
  body: string;
  labels: string[];
  state: ProposalState;
}

/**
 * SPEC §8: the PR a reviewer wants to read, as a pure function of the decision records.
 * Sections in order: verdict, table, evidence, chart, risks and rollback, configuration,
 * decision record, commands, refresh checkbox, hidden state marker. Over GitHub's size limit,
 * charts go first, then the evidence, then the record's JSON; the table and digest always stay.
 */
export function renderPullRequest(input: PullRequestInput): RenderedPullRequest {
  const state = proposalState(input);
  const rating = overallRating(input.records);
  const sections = {
    verdict: [renderVerdict(input.records, rating), renderAttention(input.records)].filter((part) => part !== "").join("\n\n"),
    table: renderContainerTable(input.records),
    files: input.files && input.files.length > 0 ? renderFiles(input.files) : "",
    evidence: input.records.map(renderEvidence).join("\n\n"),
    charts: renderCharts(input.records, input.observations ?? []),
    risks: renderRisks(input.records),
    configuration: renderConfiguration(input.policy),
    record: renderRecord(input.records),
    digest: renderDigest(input.records),
    commands: renderCommands(),
    refresh: "- [ ] refresh this proposal (tick to ask rightsize to recompute it)",
    marker: renderStateMarker(state),
  };
  const assemble = (drop: ReadonlySet<keyof typeof sections>) =>
    (Object.keys(sections) as (keyof typeof sections)[])
      .filter((name) => !drop.has(name) && sections[name] !== "")
      .map((name) => sections[name])
      .join("\n\n") + "\n";
  const trimOrder: (keyof typeof sections)[] = ["charts", "evidence", "record", "files"];
  const dropped = new Set<keyof typeof sections>();
  let body = assemble(dropped);
  for (const section of trimOrder) {
    if (body.length <= GITHUB_BODY_LIMIT) break;
    dropped.add(section);
    sections.digest = `${renderDigest(input.records)}\n\n_Trimmed to fit GitHub's size limit: ${[...dropped].join(", ")}. The full decision records are committed under \`.rightsize/decisions/\`._`;
    body = assemble(dropped);
  }
  const labels = [...new Set([...input.policy.pullRequests.labels, `confidence:${rating.confidence.toLowerCase()}`, `safety:${rating.safety.toLowerCase()}`])];
  return { title: renderTitle(input.records, input.policy.pullRequests.titlePrefix), body, labels, state };
}

function proposalState(input: PullRequestInput): ProposalState {
  return {
    version: 1,
    branch: input.branch,
    workloads: input.records.map((record) => ({
      key: workloadKey(record.workload),
      inputsDigest: record.inputsDigest,
      containers: Object.fromEntries(
        record.containers
          .filter((container) => container.action === "change")
          .map((container) => [container.name, { cpu: container.recommended.requests.cpu, memory: container.recommended.requests.memory }]),
      ),
    })),
    ...(input.ignored && Object.keys(input.ignored).length > 0 ? { ignored: input.ignored } : {}),
  };
}

export function renderTitle(records: readonly DecisionRecord[], prefix: string): string {
  const [first] = records;
  if (!first) return `${prefix}: no changes`;
  if (records.length > 1) return `${prefix}(${first.workload.namespace}): right-size ${records.length} workloads`;
  const changed = first.containers.filter((container) => container.action === "change");
  const main = changed[0];
  const parts: string[] = [];
  for (const resource of ["cpu", "memory"] as const) {
    const from = main?.current.requests[resource];
    const to = main?.recommended.requests[resource];
    if (to !== undefined && from !== to) parts.push(`${resource} ${from ?? "unset"}→${to}`);
  }
  const more = changed.length > 1 ? ` (+${changed.length - 1} more container${changed.length > 2 ? "s" : ""})` : "";
  return `${prefix}(${first.workload.namespace}/${first.workload.name}): ${parts.join(", ")}${more}`;
}

/** The worst safety rating and the lowest confidence across the proposal: what labels and the verdict show. */
function overallRating(records: readonly DecisionRecord[]): { safety: string; confidence: string } {
  const worst = <T extends string>(order: readonly T[], values: T[]) => order.find((value) => values.includes(value)) ?? order[order.length - 1]!;
  return {
    safety: worst(["UNSAFE", "RISKY", "CAUTION", "SAFE"] as const, records.map((record) => record.decision.safety)),
    confidence: worst(["LOW", "MEDIUM", "HIGH"] as const, records.map((record) => record.decision.confidence)),
  };
}

function workloadLabel(record: DecisionRecord): string {
  return `${record.workload.kind} ${code(`${record.workload.namespace}/${record.workload.name}`)} (cluster ${code(record.workload.cluster)})`;
}

function renderVerdict(records: readonly DecisionRecord[], labels: { safety: string; confidence: string }): string {
  const [first] = records;
  if (!first) return "**rightsize has nothing to propose.**";
  if (records.length === 1) {
    const totals = perPodTotals(first.containers.filter((container) => container.action === "change"));
    return `**rightsize proposes new requests for ${workloadLabel(first)}**: ${totals}${monthly(records)}; safety ${first.decision.safety}, confidence ${first.decision.confidence}.`;
  }
  const names = records.map((record) => code(`${record.workload.kind}/${record.workload.name}`)).join(", ");
  return `**rightsize proposes new requests for ${records.length} workloads in ${code(first.workload.namespace)} (cluster ${code(first.workload.cluster)})**: ${names}${monthly(records)}; worst safety ${labels.safety}, lowest confidence ${labels.confidence}.`;
}

/**
 * SPEC §11: the proposal's monthly cost change, priced with the policy's `cost` section, over
 * the pods observed (`, saving 19.63 USD a month (3 pods)`); empty for records without cost.
 */
function monthly(records: readonly DecisionRecord[]): string {
  const priced = records.filter((record) => record.cost !== undefined);
  if (priced.length === 0) return "";
  const currency = priced[0]!.cost!.currency;
  const total = priced.reduce((sum, record) => sum + record.cost!.monthly.total, 0);
  const amount = describeMonthlyCost(Math.abs(total), currency).replace(/^[+−]/, "");
  const over = priced.length === 1 ? ` (${podCount(priced[0]!.cost!.replicas)})` : " in total";
  if (Math.round(total * 100) === 0) return `, about the same cost a month${over}`;
  return total < 0 ? `, saving ${amount} a month${over}` : `, costing ${amount} more a month${over}`;
}

function podCount(replicas: number): string {
  return Number.isInteger(replicas) ? `${replicas} pod${replicas === 1 ? "" : "s"}` : `${replicas} pods on average`;
}

/** SPEC §5 direction-aware gates: increases proposed past an UNSAFE rating or low confidence say so under the verdict. */
function renderAttention(records: readonly DecisionRecord[]): string {
  const lines = records.flatMap((record) => (record.decision.attention ?? []).map((line) => `> **Needs attention** (${code(`${record.workload.kind}/${record.workload.name}`)}): ${safeMarkdown(line.replace(/^([^:]+): needs attention: /, "$1: "))}`));
  return lines.join("\n>\n");
}

function perPodTotals(containers: readonly ContainerDecision[]): string {
  const changes = (["cpu", "memory"] as const).flatMap((resource) => {
    let delta = 0n;
    for (const container of containers) {
      const from = container.current.requests[resource];
      const to = container.recommended.requests[resource];
      if (from !== undefined && to !== undefined) delta += parseQuantity(to).nanos - parseQuantity(from).nanos;
    }
    if (delta === 0n) return [];
    const amount = { nanos: delta < 0n ? -delta : delta };
    const verb = delta < 0n ? "frees" : "adds";
    return [{ verb, text: `${resource === "cpu" ? formatCpu(amount) : formatMemory(amount)} ${resource === "cpu" ? "CPU" : "memory"}` }];
  });
  if (changes.length === 0) return "limits only";
  const [first, second] = changes;
  if (!second) return `${first!.verb} ${first!.text} per pod`;
  return first!.verb === second.verb ? `${first!.verb} ${first!.text} and ${second.text} per pod` : `${first!.verb} ${first!.text} and ${second.verb} ${second.text} per pod`;
}

/** One row per container: current → recommended, Δ%, safety, confidence, action (PR bodies and `plan --output markdown`). */
export function renderContainerTable(records: readonly DecisionRecord[]): string {
  const rows = [
    "| Workload | Container | CPU request | Memory request | Limits | Per month | Safety | Confidence | Action |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const record of records) {
    for (const container of record.containers) {
      const cost = container.action === "change" && container.cost && record.cost ? describeMonthlyCost(container.cost.total, record.cost.currency) : "—";
      rows.push(
        `| ${cell(`${record.workload.namespace}/${record.workload.kind}/${record.workload.name}`)} | ${cell(container.name)} | ${transition(container, "requests", "cpu")} | ${transition(container, "requests", "memory")} | ${limitsCell(container)} | ${cost} | ${container.safety} | ${container.confidence.level} (${container.confidence.score}) | ${container.action} |`,
      );
    }
  }
  return rows.join("\n");
}

function transition(container: ContainerDecision, group: "requests" | "limits", resource: "cpu" | "memory"): string {
  const from = container.current[group][resource];
  const to = container.recommended[group][resource];
  if (from === to) return from ?? "—";
  // A limit the recommendation leaves out is removed (policy limits: remove-cpu); a request left out was not recommended.
  if (to === undefined) return group === "limits" && container.action === "change" ? `${from} → **removed**` : (from ?? "—");
  const change = group === "requests" ? container.change[resource] : null;
  const percent = change === null || change === undefined ? "" : ` (${change > 0 ? "+" : ""}${change.toFixed(1)}%)`;
  return `${from ?? "unset"} → **${to}**${percent}`;
}

function limitsCell(container: ContainerDecision): string {
  const parts = (["cpu", "memory"] as const)
    .filter((resource) => container.current.limits[resource] !== undefined || container.recommended.limits[resource] !== undefined)
    .map((resource) => `${resource} ${transition(container, "limits", resource)}`);
  return parts.length > 0 ? parts.join(", ") : "—";
}

function renderFiles(files: readonly string[]): string {
  return `Files changed: ${files.map((file) => code(file)).join(", ")}`;
}

function renderEvidence(record: DecisionRecord): string {
  const { observation } = record;
  const lines = [
    `#### Evidence: ${code(`${record.workload.kind}/${record.workload.name}`)}`,
    "",
    `Window ${observation.window.from} → ${observation.window.to} (${observation.mode}, source ${observation.source}), ${observation.pods} pod${observation.pods === 1 ? "" : "s"}, coverage ${(observation.coverage * 100).toFixed(0)}%.`,
  ];
  if (observation.runs) {
    lines.push(`Runs: ${observation.runs.observed} observed, ${observation.runs.succeeded} succeeded, ${observation.runs.failed} failed (failed runs are excluded from the percentiles).`);
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

/** Measured usage for reading, not for manifests: millicores or cores, MiB or GiB, one or two decimals. */
/** Usage as a reviewer reads it: `180.5m`, `1.25` cores; `220.3Mi`, `1.5Gi`. */
export function displayCores(cores: number): string {
  return cores >= 1 ? `${Number(cores.toFixed(2))}` : `${Number((cores * 1000).toFixed(1))}m`;
}

export function displayBytes(bytes: number): string {
  const gibibyte = 1024 ** 3;
  return bytes >= gibibyte ? `${Number((bytes / gibibyte).toFixed(2))}Gi` : `${Number((bytes / 1024 ** 2).toFixed(1))}Mi`;
}

function renderRisks(records: readonly DecisionRecord[]): string {
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

function renderConfiguration(policy: Policy): string {
  const verify =
    policy.pullRequests.verifyAfter.seconds === 0
      ? "Verification after merge is off."
      : `About ${policy.pullRequests.verifyAfter.text} after merge, rightsize observes again and comments here whether the new requests fit.`;
  return [
    "#### Configuration",
    "",
    `- rightsize scans on the schedule ${code(policy.schedule.cron)} (cron, UTC) and when asked with \`/rightsize\`.`,
    `- It updates this branch when a scan changes the recommendation, and stops updating it as soon as someone else pushes to it.`,
    `- Closing this pull request without merging means "not this value": rightsize will not propose values within ${policy.recommend.minChangePercent}% of these again; usage drifting beyond that, or \`/rightsize refresh\`, brings a new pull request.`,
    `- ${verify}`,
    `- Settings come from \`.github/rightsize.yml\` (mode \`${policy.mode}\`, minimum confidence ${policy.apply.minConfidence}, limits \`${policy.recommend.limits}\`, decreases capped at ${policy.recommend.maxDecreasePercent}% per proposal).`,
  ].join("\n");
}

function renderRecord(records: readonly DecisionRecord[]): string {
  return [
    "<details><summary>Decision record (decision.json)</summary>",
    "",
    "```json",
    // A backtick in a name or path must not close the fence: JSON writes it as \u0060, the same string.
    JSON.stringify(records.length === 1 ? records[0] : records, null, 2).replaceAll("`", "\\u0060"),
    "```",
    "",
    "</details>",
  ].join("\n");
}

function renderDigest(records: readonly DecisionRecord[]): string {
  return records.map((record) => `Decision digest for ${code(`${record.workload.kind}/${record.workload.name}`)}: \`${record.inputsDigest}\``).join("\n");
}

function renderCommands(): string {
  return [
    "#### Commands",
    "",
    "Comment on this pull request:",
    "- `/rightsize refresh`: recompute this proposal now",
    "- `/rightsize explain [CONTAINER]`: show how each number was derived",
    "- `/rightsize ignore [CONTAINER]`: stop proposing changes for this workload or container",
    "- `/rightsize rebase`: rebase this branch on the default branch",
  ].join("\n");
}
