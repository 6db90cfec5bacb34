import { alignColumns, workloadKey } from "../domain/index.js";
import type { BacktestReport, Totals } from "./replay.js";

/**
 * `rightsize backtest --output text|markdown`: per workload and in total, each policy side by
 * side: CPU and memory saved (cores, GiB, money per month), the share of the replayed samples
 * above the new CPU and memory requests, and the memory samples above the new limit.
 */
const HEADER = ["WORKLOAD", "POLICY", "DECISION", "CPU SAVED", "MEMORY SAVED", "PER MONTH", "CPU > REQUEST", "MEMORY > REQUEST", "> MEMORY LIMIT"];

function rows(report: BacktestReport): string[][] {
  const result: string[][] = [];
  const first = report.policies[0];
  if (!first) return result;
  first.workloads.forEach((workload, index) => {
    for (const policy of report.policies) {
      const entry = policy.workloads[index]!;
      result.push([workloadKey(workload.workload), policy.path, entry.decision, ...cells(entry.totals, policy.currency)]);
    }
  });
  for (const policy of report.policies) result.push(["TOTAL", policy.path, "", ...cells(policy.totals, policy.currency)]);
  return result;
}

function cells(totals: Totals, currency: string): string[] {
  return [
    `${fixed(totals.cpuCoresSaved, 3)} cores`,
    `${fixed(totals.memoryGiBSaved, 2)} GiB`,
    `${fixed(totals.monthlySaved, 2)} ${currency}`,
    share(totals.cpuAboveRequest),
    share(totals.memoryAboveRequest),
    String(totals.samplesAboveLimit),
  ];
}

function fixed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

function share(value: number | null): string {
  return value === null ? "—" : `${(value * 100).toFixed(1)}%`;
}

function preamble(report: BacktestReport): string {
  const { from, split, to } = report.window;
  return `observed ${from} → ${split}, replayed ${split} → ${to}; savings are for the whole workload (× replicas), money per month; > request is the share of replayed samples above the new request`;
}

export function renderBacktestText(report: BacktestReport): string {
  if (report.policies.length === 0 || report.policies[0]!.workloads.length === 0) return `${preamble(report)}\nno workloads to replay\n`;
  return `${preamble(report)}\n\n${alignColumns([HEADER, ...rows(report)])}\n`;
}

export function renderBacktestMarkdown(report: BacktestReport): string {
  const lines = ["## rightsize backtest", "", preamble(report), ""];
  lines.push(`| ${HEADER.join(" | ")} |`, `| ${HEADER.map(() => "---").join(" | ")} |`);
  for (const row of rows(report)) lines.push(`| ${row.map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`);
  return `${lines.join("\n")}\n`;
}
