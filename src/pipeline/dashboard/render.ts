import { code, EVIDENCE_NAMES, prose, safeMarkdown, workloadKey, type WorkloadRef } from "../../domain/index.js";
import type { DecisionRecord } from "../../recommend/index.js";
import { dashboardRow, MARKERS } from "../lifecycle/markers.js";
import type { PlannedWorkload } from "../plan/plan.js";
import type { ProposalResult } from "../propose/propose.js";
import type { Verdict } from "../lifecycle/verification.js";

export const DASHBOARD_TITLE = "rightsize dashboard";
const PUBLISHED: ReadonlySet<string> = new Set(["created", "updated", "unchanged"]);
/** The dashboard issue body's budget: GitHub takes 65,536 characters; a margin for edits. */
const DASHBOARD_LIMIT = 60_000;

export interface DashboardInput {
  base: { branch: string; commit: string };
  /** Every workload planned in the last scan, with its decision. */
  workloads: readonly PlannedWorkload[];
  results: readonly ProposalResult[];
  /** Open rightsize pull requests: workload keys → number (from their state markers). */
  openProposals: readonly { number: number; title: string; keys: string[] }[];
  /** Ignored containers by workload key (`*`: the whole workload), from the pull requests' markers. */
  ignored: Readonly<Record<string, readonly string[]>>;
  /** Verdicts of merged proposals checked after merge. */
  verdicts?: readonly { number: number; key: string; verdict: Verdict }[];
  /** Monthly cost figures, when the records carry them. */
  savings?: { currency: string; open: number; merged: number };
  /** The latest `/rightsize doctor` reply, linked from the header when evidence is unknown. */
  doctorUrl?: string;
  /** What the scan depended on (a hidden marker after the dashboard's own): the next scan compares it. */
  scanMarker?: string;
}

/** Whether any record has evidence its source could not measure (a metric is missing). */
export function hasUnknownEvidence(workloads: readonly PlannedWorkload[]): boolean {
  return workloads.some((workload) => workload.record.containers.some((container) => (container.evidence.unknown ?? []).length > 0));
}

interface Row {
  key: string;
  text: string;
}

/**
 * The dashboard issue (SPEC §8, "rightsize dashboard"): one per repository, edited in place after
 * every scan. Pure: the last scan's plan and results in, markdown out; its state lives in hidden
 * markers, and each row's checkbox asks for a fresh proposal of that workload.
 */
export function renderDashboard(input: DashboardInput): string {
  const byKey = new Map(input.workloads.map((workload) => [workloadKey(workload.ref), workload]));
  const resultOf = (key: string) => input.results.find((result) => result.workloads.some((ref) => workloadKey(ref) === key));
  const sections: { title: string; rows: Row[] }[] = [
    { title: "Needs attention", rows: attentionRows(input) },
    {
      title: "Open proposals",
      rows: input.openProposals.flatMap((pull) => pull.keys.map((key) => ({ key, text: `${label(key)}: #${pull.number} ${prose(pull.title)}` }))),
    },
    { title: "Waiting for data", rows: rowsWhere(input.workloads, (workload) => workload.record.decision.action === "hold" && isWaiting(workload.record), waitingText) },
    { title: "Blocked", rows: rowsWhere(input.workloads, (workload) => workload.record.decision.action === "blocked", (workload) => safeMarkdown(workload.record.decision.reasons.join("; "))) },
    { title: "Declined", rows: resultRows(input.results, "declined") },
    {
      title: "Ignored",
      rows: Object.entries(input.ignored).map(([key, containers]) => ({ key, text: `${label(key)}: ${containers.includes("*") ? "the whole workload" : containers.map((name) => code(name)).join(", ")} (\`/rightsize unignore\` in its pull request)` })),
    },
    { title: "Rate limited", rows: resultRows(input.results, "rate-limited") },
    { title: "Errored", rows: resultRows(input.results, "failed", " — the next scan tries again; tick the box to try now") },
    {
      title: "Every workload",
      rows: [...byKey.entries()].map(([key, workload]) => {
        // GitHub's open pull requests say what is proposed; a run's results add only what went wrong,
        // so a run that proposed a few workloads leaves the others' rows as they were.
        const open = input.openProposals.find((pull) => pull.keys.includes(key));
        const result = resultOf(key);
        const decision = workload.record.decision;
        const status = open ? `${decision.action}, open #${open.number}` : result && !PUBLISHED.has(result.status) ? `${decision.action}, ${result.status}` : decision.action;
        return { key, text: `${label(key)}: ${status}; safety ${decision.safety}, confidence ${decision.confidence}` };
      }),
    },
  ];
  const header = [
    `**rightsize watches ${byKey.size} workload${byKey.size === 1 ? "" : "s"}; ${input.openProposals.length} proposal${input.openProposals.length === 1 ? " is" : "s are"} open.**${savingsText(input.savings)}`,
    "",
    `From the manifests on ${code(input.base.branch)} and the last observations; rightsize edits this issue after every scan. Tick a box to ask for a fresh proposal of that workload (rightsize unticks it when done).`,
    "",
    dashboardRow("propose again for every workload", "*"),
  ];
  if (hasUnknownEvidence(input.workloads)) {
    // SPEC §4: missing evidence is never health; the header says where to find what is missing.
    const where = input.doctorUrl
      ? `[the last \`/rightsize doctor\` result](${input.doctorUrl}) says which, what each costs and how to fix it`
      : "comment `/rightsize doctor` here to see which, what each costs and how to fix it";
    header.splice(4, 0, `Some evidence is unknown because metrics are missing (rows say \"unknown\"): ${where}.`, "");
  }
  const render = (collapse: ReadonlySet<string>) =>
    [
      ...header,
      ...sections.flatMap((section) => {
        if (section.rows.length === 0) return [];
        const rows = section.rows.map((row) => dashboardRow(row.text, row.key));
        if (!collapse.has(section.title)) return ["", `### ${section.title} (${section.rows.length})`, "", ...rows];
        return ["", `<details><summary><b>${section.title} (${section.rows.length})</b>, collapsed to fit</summary>`, "", ...rows, "", "</details>"];
      }),
      "",
      MARKERS.dashboard,
      ...(input.scanMarker ? [input.scanMarker] : []),
    ].join("\n");
  // Too long for an issue body: collapse the long sections first, then cut rows from the longest.
  const collapse = new Set<string>();
  let body = render(collapse);
  for (const section of [...sections].sort((a, b) => b.rows.length - a.rows.length)) {
    if (body.length <= DASHBOARD_LIMIT) break;
    collapse.add(section.title);
    body = render(collapse);
  }
  while (body.length > DASHBOARD_LIMIT) {
    const longest = [...sections].sort((a, b) => b.rows.length - a.rows.length)[0]!;
    const kept = longest.rows.filter((row) => row.key !== "…");
    kept.splice(kept.length - Math.max(1, Math.floor(kept.length / 4)));
    longest.rows = [...kept, { key: "…", text: "… and more, cut to fit GitHub's size limit (`/rightsize all --dry-run` lists every workload)" }];
    body = render(collapse);
  }
  return body;
}

function attentionRows(input: DashboardInput): Row[] {
  const rows: Row[] = [];
  for (const workload of input.workloads) {
    const key = workloadKey(workload.ref);
    const kills = workload.record.containers.reduce((sum, container) => sum + (container.evidence.oomKills?.length ?? 0), 0);
    const throttled = workload.record.containers.filter((container) => (container.evidence.throttledRatio ?? 0) > 0.1).map((container) => container.name);
    // SPEC §4: evidence that could not be measured is shown as unknown, never as none.
    const unknown = [...new Set(workload.record.containers.flatMap((container) => (container.evidence.unknown ?? []).map((entry) => EVIDENCE_NAMES[entry.evidence])))];
    const notes = [
      kills > 0 ? `${kills} OOM kill${kills === 1 ? "" : "s"} in the window` : "",
      throttled.length > 0 ? `CPU throttled (${throttled.join(", ")})` : "",
      unknown.length > 0 ? `unknown: ${unknown.join(", ")}` : "",
    ].filter(Boolean);
    if (notes.length > 0) rows.push({ key, text: `${label(key)}: ${notes.join("; ")}` });
  }
  for (const verdict of input.verdicts ?? []) {
    if (verdict.verdict === "wrong") rows.push({ key: verdict.key, text: `${label(verdict.key)}: merged #${verdict.number} was checked after merge: **wrong**` });
  }
  return rows;
}

function rowsWhere(workloads: readonly PlannedWorkload[], keep: (workload: PlannedWorkload) => boolean, text: (workload: PlannedWorkload) => string): Row[] {
  return workloads.filter(keep).map((workload) => ({ key: workloadKey(workload.ref), text: `${label(workloadKey(workload.ref))}: ${text(workload)}` }));
}

function resultRows(results: readonly ProposalResult[], status: ProposalResult["status"], advice = ""): Row[] {
  return results
    .filter((result) => result.status === status)
    .flatMap((result) => result.workloads.map((ref: WorkloadRef) => ({ key: workloadKey(ref), text: `${label(workloadKey(ref))}: ${safeMarkdown(result.reason ?? status)}${advice}` })));
}

function isWaiting(record: DecisionRecord): boolean {
  return record.decision.reasons.some((reason) => reason.startsWith("waiting for data")) || record.decision.confidence === "LOW";
}

/** How much more data, and until when: the window and coverage a MEDIUM confidence needs (SPEC §5). */
function waitingText(workload: PlannedWorkload): string {
  const record = workload.record;
  const reasons = record.decision.reasons.filter((reason) => reason.startsWith("waiting for data"));
  if (record.observation.mode === "run-based") return reasons.join("; ") || `confidence ${record.decision.confidence}`;
  const { from, to } = record.observation.window;
  const observedHours = (Date.parse(to) - Date.parse(from)) / 3_600_000;
  const until = new Date(Date.parse(from) + 24 * 3_600_000).toISOString().slice(0, 16);
  const more = observedHours < 24 ? `; a MEDIUM confidence needs 24h at ≥ 70% coverage (${Math.ceil(24 - observedHours)}h more, around ${until}Z)` : "";
  return `${reasons.join("; ") || `confidence ${record.decision.confidence}`}${more}`;
}

function savingsText(savings: DashboardInput["savings"]): string {
  if (!savings) return "";
  const money = (value: number) => `${value.toFixed(2)} ${savings.currency}`;
  return ` Open proposals would save ${money(savings.open)} a month; merged ones have saved ${money(savings.merged)} a month so far.`;
}

function label(key: string): string {
  const [cluster, namespace, kind, name] = key.split("/");
  return `${code(`${namespace}/${kind}/${name}`)}${cluster && cluster !== "default" ? ` (${prose(cluster)})` : ""}`;
}
