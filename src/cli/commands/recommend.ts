import { Option, type Command } from "commander";
import { EXIT, UsageError } from "../../domain/index.js";
import { isSelected } from "../../pipeline/index.js";
import { DEFAULT_POLICY_PATH } from "../../policy/index.js";
import { recommendSnapshot, renderDecisionTable, type DecisionRecord } from "../../recommend/index.js";
import { TOOL } from "../../version.js";
import { loadPolicyWithWarnings, parseAtOption, readSnapshotFile } from "../inputs.js";
import { addOutputOptions, parseOutputFormat, printJsonArray, printNotice, printOutput, type OutputFlags } from "../output.js";
import { addSelectionOptions, isEverything, parseSelection, requireKnown, type SelectionFlags } from "../selection.js";
import { decisionCsvRows } from "../views.js";

interface RecommendOptions extends SelectionFlags, OutputFlags {
  snapshot?: string;
  /** The old name of --snapshot. */
  observation?: string;
  policy?: string;
  at?: string;
}

export function register(program: Command): void {
  const command = program
    .command("recommend")
    .description(
      "Recommend requests and limits for the workloads of an observation snapshot; prints the decision records (JSON by default). Exit 0, or 1 when a workload is blocked.",
    );
  addSelectionOptions(command)
    .option("--snapshot <file>", "observation snapshot (JSON, as rightsize snapshot writes it); required")
    .addOption(new Option("--observation <file>", "the old name of --snapshot").hideHelp())
    .option("--policy <file>", `policy file (default: ${DEFAULT_POLICY_PATH} when present, else the defaults)`)
    .option("--at <time>", "evaluation time, ISO 8601 (default: the snapshot's createdAt, so the output is reproducible)");
  addOutputOptions(command, "json").action(async (words: string[], options: RecommendOptions) => {
    const format = parseOutputFormat(options.output);
    const selection = parseSelection(words, options);
    const at = parseAtOption(options.at);
    if (options.observation !== undefined) {
      if (options.snapshot !== undefined) throw new UsageError("--observation is the old name of --snapshot; pass --snapshot only");
      printNotice("--observation is deprecated; use --snapshot FILE");
    }
    const file = options.snapshot ?? options.observation;
    if (file === undefined) throw new UsageError('--snapshot FILE is required: an observation snapshot, as "rightsize snapshot" writes it');
    const whole = await readSnapshotFile(file);
    if (!isEverything(selection)) requireKnown(selection, whole.workloads.map((observation) => observation.workload), `in ${file}`);
    const snapshot = { ...whole, workloads: whole.workloads.filter((observation) => isSelected(selection, observation.workload)) };
    const loaded = await loadPolicyWithWarnings(options.policy);

    let blocked = false;
    function* records(): Generator<DecisionRecord> {
      for (const record of recommendSnapshot(snapshot, { tool: TOOL, policy: loaded.policy, policySource: loaded.source, at: at ?? snapshot.createdAt })) {
        if (record.decision.action === "blocked") blocked = true;
        yield record;
      }
    }
    // JSON is written while the records are made, so a snapshot of thousands of workloads never holds them all.
    if (format === "json") printJsonArray(records());
    else {
      const all = [...records()];
      printOutput(format, options, { data: () => all, table: (paint) => renderDecisionTable(all, paint ? { paint } : {}), rows: () => decisionCsvRows(all) });
    }
    if (blocked) process.exitCode = EXIT.finding;
  });
}
