import { alignColumns, terminalText } from "../domain/index.js";
import { describeMonthlyCost, describePercent, roundPercent } from "./describe.js";
import type { ContainerDecision, DecisionRecord } from "./record.js";

/** How a terminal may colour a cell: a decrease or a safe rating is good, an increase or caution a warning, blocked or risky bad. */
export type Tone = "good" | "warn" | "bad";
/** Wraps a cell's text in the colour of its tone; the identity when there is no colour. */
export type Paint = (text: string, tone: Tone) => string;

/** A request as a table shows it: what is set now and what the proposal sets (the same when nothing is proposed). */
export interface RequestRow {
  current: string | null;
  proposed: string | null;
  /** The change in percent, null when the proposal does not change it (or nothing was set). */
  changePercent: number | null;
}

/** One container of a decision record, as the table, CSV and markdown views show it. */
export interface ContainerRow {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  /** null for a workload without containers in its record. */
  container: string | null;
  cpu: RequestRow;
  memory: RequestRow;
  /** The monthly cost change of the container's proposed change (× replicas), null when nothing is proposed. */
  monthlyCost: number | null;
  currency: string;
  safety: string | null;
  confidence: string | null;
  confidenceScore: number | null;
  action: string | null;
  decision: string;
}

const HEADER = ["CLUSTER", "WORKLOAD", "CONTAINER", "CPU REQUEST", "MEMORY REQUEST", "PER MONTH", "SAFETY", "CONFIDENCE", "ACTION", "DECISION"];
const SAFETY_TONES: Record<string, Tone> = { SAFE: "good", CAUTION: "warn", RISKY: "bad", UNSAFE: "bad" };

/**
 * One row per container. A container shows a change only when its workload proposes it: a held
 * or blocked workload's rows show the current requests, whatever the engine computed.
 */
export function decisionRows(records: readonly DecisionRecord[]): ContainerRow[] {
  return records.flatMap((record) => {
    const { cluster, namespace, kind, name } = record.workload;
    const base = { cluster, namespace, kind, name, currency: record.cost?.currency ?? "", decision: record.decision.action };
    if (record.containers.length === 0) {
      const none: RequestRow = { current: null, proposed: null, changePercent: null };
      return [{ ...base, container: null, cpu: none, memory: none, monthlyCost: null, safety: null, confidence: null, confidenceScore: null, action: null }];
    }
    return record.containers.map((container): ContainerRow => {
      const proposed = record.decision.action === "propose" && container.action === "change";
      return {
        ...base,
        container: container.name,
        cpu: requestRow(container, "cpu", proposed),
        memory: requestRow(container, "memory", proposed),
        monthlyCost: proposed && container.cost ? container.cost.total : null,
        safety: container.safety,
        confidence: container.confidence.level,
        confidenceScore: container.confidence.score,
        action: container.action,
      };
    });
  });
}

/**
 * The `--output table` view: one row per container (cluster, current → proposed request,
 * safety, confidence, action) and, under the table, each workload's decision with its reasons.
 * Terminal-safe: names and reasons from a repository or a cluster show control characters as
 * escapes, so the caller may print the colours `paint` added as they are.
 */
export function renderDecisionTable(records: readonly DecisionRecord[], options: { whenEmpty?: string; paint?: Paint } = {}): string {
  if (records.length === 0) return `${terminalText(options.whenEmpty ?? "no workloads in the snapshot")}\n`;
  const rows = decisionRows(records);
  const table = [HEADER, ...rows.map(tableCells)];
  const paint = options.paint;
  const tones = rows.map(rowTones);
  const text = alignColumns(table, paint ? (cell, row, column) => (row > 0 && tones[row - 1]![column] ? paint(cell, tones[row - 1]![column]!) : cell) : undefined);
  const decisions = records.flatMap((record) => [
    `${record.workload.cluster}/${record.workload.namespace}/${record.workload.kind}/${record.workload.name}: ${record.decision.action}`,
    ...record.decision.reasons.map((reason) => `  - ${reason}`),
  ]);
  return `${text}\n\n${terminalText(decisions.join("\n"))}\n`;
}

function tableCells(row: ContainerRow): string[] {
  return [
    row.cluster,
    `${row.namespace}/${row.kind}/${row.name}`,
    row.container ?? "-",
    requestCell(row.cpu),
    requestCell(row.memory),
    row.monthlyCost === null ? "-" : describeMonthlyCost(row.monthlyCost, row.currency),
    row.safety ?? "-",
    row.confidence === null ? "-" : `${row.confidence} (${row.confidenceScore})`,
    row.action ?? "-",
    row.decision,
  ];
}

/** The tone of each column of a row (by HEADER position), where it has one. */
function rowTones(row: ContainerRow): (Tone | undefined)[] {
  const change = (request: RequestRow): Tone | undefined => (request.changePercent === null ? undefined : request.changePercent < 0 ? "good" : "warn");
  const tones: (Tone | undefined)[] = [];
  tones[3] = change(row.cpu);
  tones[4] = change(row.memory);
  tones[6] = row.safety === null ? undefined : SAFETY_TONES[row.safety];
  tones[8] = row.action === "blocked" ? "bad" : undefined;
  tones[9] = row.decision === "blocked" ? "bad" : undefined;
  return tones;
}

function requestRow(container: ContainerDecision, resource: "cpu" | "memory", proposed: boolean): RequestRow {
  const current = container.current.requests[resource] ?? null;
  const recommended = container.recommended.requests[resource] ?? null;
  if (!proposed || current === recommended) return { current, proposed: current, changePercent: null };
  const change = container.change[resource];
  return { current, proposed: recommended, changePercent: change === null ? null : roundPercent(change) };
}

function requestCell(request: RequestRow): string {
  if (request.current === request.proposed) return request.current ?? "-";
  return `${request.current ?? "-"} → ${request.proposed ?? "-"}${request.changePercent === null ? "" : ` (${describePercent(request.changePercent)})`}`;
}
