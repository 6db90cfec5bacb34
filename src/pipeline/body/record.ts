import { code } from "../../domain/index.js";
import type { DecisionRecord } from "../../recommend/index.js";

export function renderRecord(records: readonly DecisionRecord[]): string {
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

export function renderDigest(records: readonly DecisionRecord[]): string {
  return records.map((record) => `Decision digest for ${code(`${record.workload.kind}/${record.workload.name}`)}: \`${record.inputsDigest}\``).join("\n");
}
