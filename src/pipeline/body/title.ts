import type { DecisionRecord } from "../../recommend/index.js";

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
