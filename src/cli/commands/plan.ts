import type { Command } from "commander";
import { EXIT, escapeControls, terminalText, workloadKey } from "../../domain/index.js";
import { diagnosePlan, planRepository, readWorkingTreeFiles, renderPlanMarkdown, type Plan } from "../../pipeline/index.js";
import { renderDecisionTable } from "../../recommend/index.js";
import { TOOL } from "../../version.js";
import { parseOutputFormat, printJson, printText } from "../output.js";
import { addPipelineOptions, loadPipelineInputs, printDiagnosis, type PipelineOptions } from "../pipeline-options.js";

export function register(program: Command): void {
  addPipelineOptions(
    program
      .command("plan")
      .description(
        "Discover workloads in a checkout, match them to observations, recommend, and show the planned edits. Exit 0, or 1 when a workload is blocked or none matched an observation.",
      ),
  )
    .option("--output <format>", "text (tables), json (decision records with edit.diff) or markdown", "text")
    .action(async (options: PipelineOptions & { output: string }) => {
      const format = parseOutputFormat(options.output, ["text", "json", "markdown"]);
      const inputs = await loadPipelineInputs(options);
      const plan = planRepository({ tool: TOOL, files: await readWorkingTreeFiles(inputs.repoDir), loaded: inputs.loaded, snapshot: inputs.snapshot, at: inputs.at });
      const diagnosis = diagnosePlan(plan, inputs.snapshot);
      if (format === "json") {
        printJson(planAsJson(plan));
        process.stderr.write(terminalText(renderUnmatched(plan)));
      } else if (format === "markdown") {
        printText(renderPlanMarkdown(plan));
      } else {
        printText(renderPlanText(plan));
      }
      printDiagnosis(diagnosis);
      if (diagnosis.nothingMatched || plan.workloads.some((workload) => workload.record.decision.action === "blocked")) process.exitCode = EXIT.finding;
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

function renderPlanText(plan: Plan): string {
  const parts: string[] = [];
  if (plan.proposalsPaused) parts.push(`Proposals paused: ${plan.proposalsPaused}.\n`);
  parts.push(renderDecisionTable(plan.workloads.map((workload) => workload.record), "no workload of the repository matched an observation"));
  for (const workload of plan.workloads) {
    for (const drift of workload.drift) {
      parts.push(
        `drift ${workloadKey(workload.ref)} ${drift.container} ${drift.field}: manifest ${drift.manifest ?? "unset"}, live ${drift.live ?? "unset"} (the manifest is the truth)\n`,
      );
    }
    if (workload.edits.length > 0) parts.push(`\n${workload.edits.map((edit) => edit.diff).join("")}`);
  }
  parts.push(renderUnmatched(plan));
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
