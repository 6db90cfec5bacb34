import type { Command } from "commander";
import { EXIT, escapeControls, terminalText, workloadKey } from "../../domain/index.js";
import { diagnosePlan, planRepository, readWorkingTreeFiles, renderPlanMarkdown, type Plan } from "../../pipeline/index.js";
import { renderDecisionTable, type Paint } from "../../recommend/index.js";
import { TOOL } from "../../version.js";
import { addOutputOptions, parseOutputFormat, printOutput, type OutputFlags } from "../output.js";
import { addPipelineOptions, loadPipelineInputs, printDiagnosis, type PipelineOptions } from "../pipeline-options.js";
import { addSelectionOptions, isEverything, parseSelection, requireKnown, type SelectionFlags } from "../selection.js";
import { decisionCsvRows, planWorkloads, selectFromPlan } from "../views.js";

export function register(program: Command): void {
  const command = program
    .command("plan")
    .description(
      "Discover workloads in a checkout, match them to observations, recommend, and show the planned edits. Exit 0, or 1 when a workload is blocked or none matched an observation.",
    );
  addSelectionOptions(command);
  addPipelineOptions(command);
  addOutputOptions(command).action(async (words: string[], options: PipelineOptions & SelectionFlags & OutputFlags) => {
    const format = parseOutputFormat(options.output);
    const selection = parseSelection(words, options);
    const inputs = await loadPipelineInputs(options, selection);
    const whole = planRepository({ tool: TOOL, files: await readWorkingTreeFiles(inputs.repoDir), loaded: inputs.loaded, snapshot: inputs.snapshot, at: inputs.at });
    const diagnosis = diagnosePlan(whole, inputs.snapshot);
    printDiagnosis(diagnosis);
    if (!isEverything(selection) && !diagnosis.nothingMatched) requireKnown(selection, planWorkloads(whole), "in the repository or its observations");
    const plan = selectFromPlan(whole, selection);
    const records = plan.workloads.map((workload) => workload.record);
    // The machine formats keep stdout to the data; what did not match goes to stderr.
    if (format === "json" || format === "yaml" || format === "csv") process.stderr.write(terminalText(renderUnmatched(plan)));
    printOutput(format, options, {
      data: () => planAsJson(plan),
      table: (paint) => renderPlanText(plan, paint),
      rows: () => decisionCsvRows(records),
      markdown: () => renderPlanMarkdown(plan),
    });
    if (diagnosis.nothingMatched || records.some((record) => record.decision.action === "blocked")) process.exitCode = EXIT.finding;
  });
}

/** The JSON contract: an array of decision records, each with its planned edit and the drift found. */
function planAsJson(plan: Plan): unknown[] {
  return plan.workloads.map((workload) => ({
    ...workload.record,
    edit:
      workload.edits.length === 0
        ? null
        : { files: workload.edits.map((edit) => edit.path), diff: workload.edits.map((edit) => edit.diff).join("") },
    definedIn: [...new Set(workload.manifest.containers.map((container) => container.location.path))],
    drift: workload.drift,
  }));
}

/** Terminal-safe (the table escapes its cells; the rest is escaped here), so the table's colours may be printed as they are. */
function renderPlanText(plan: Plan, paint: Paint | undefined): string {
  const parts: string[] = [];
  if (plan.proposalsPaused) parts.push(terminalText(`Proposals paused: ${plan.proposalsPaused}.\n`));
  parts.push(renderDecisionTable(plan.workloads.map((workload) => workload.record), { whenEmpty: "no workload of the repository matched an observation", ...(paint ? { paint } : {}) }));
  for (const workload of plan.workloads) {
    for (const drift of workload.drift) {
      parts.push(
        terminalText(`drift ${workloadKey(workload.ref)} ${drift.container} ${drift.field}: manifest ${drift.manifest ?? "unset"}, live ${drift.live ?? "unset"} (the manifest is the truth)\n`),
      );
    }
    if (workload.edits.length > 0) parts.push(terminalText(`\n${workload.edits.map((edit) => edit.diff).join("")}`));
  }
  parts.push(terminalText(renderUnmatched(plan)));
  return parts.join("");
}

function renderUnmatched(plan: Plan): string {
  const lines = [
    ...plan.notObserved.map(({ ref, path }) => `in the repo but not observed: ${escapeControls(`${workloadKey(ref)} (${path})`)}`),
    ...plan.notInRepo.map((ref) => `observed but not in the repo: ${escapeControls(workloadKey(ref))}`),
    ...plan.skipped.map(({ path, reason }) => `skipped ${escapeControls(`${path}: ${reason}`)}`),
  ];
  return lines.length > 0 ? `\n${lines.join("\n")}\n` : "";
}
