import type { Command } from "commander";
import { EXIT } from "../../domain/index.js";
import { DEFAULT_POLICY_PATH } from "../../policy/index.js";
import { recommendSnapshot, renderDecisionTable } from "../../recommend/index.js";
import { TOOL } from "../../version.js";
import { loadPolicyWithWarnings, parseAtOption, readSnapshotFile } from "../inputs.js";
import { parseOutputFormat, printJsonArray, printText } from "../output.js";

interface RecommendOptions {
  observation: string;
  policy?: string;
  at?: string;
  output: string;
}

export function register(program: Command): void {
  program
    .command("recommend")
    .description(
      "Recommend requests and limits for every workload of an observation snapshot; prints the decision records. Exit 0, or 1 when a workload is blocked.",
    )
    .requiredOption("--observation <file>", "observation snapshot (JSON, as `rightsize snapshot` writes it)")
    .option("--policy <file>", `policy file (default: ${DEFAULT_POLICY_PATH} when present, else the defaults)`)
    .option("--at <time>", "evaluation time, ISO 8601 (default: the snapshot's createdAt, so the output is reproducible)")
    .option("--output <format>", "json (decision records) or text (a table)", "json")
    .action(async (options: RecommendOptions) => {
      const format = parseOutputFormat(options.output);
      const at = parseAtOption(options.at);
      const snapshot = await readSnapshotFile(options.observation);
      const loaded = await loadPolicyWithWarnings(options.policy);

      let blocked = false;
      function* records() {
        for (const record of recommendSnapshot(snapshot, { tool: TOOL, policy: loaded.policy, policySource: loaded.source, at: at ?? snapshot.createdAt })) {
          if (record.decision.action === "blocked") blocked = true;
          yield record;
        }
      }
      if (format === "json") printJsonArray(records());
      else printText(renderDecisionTable([...records()]));
      if (blocked) process.exitCode = EXIT.finding;
    });
}
