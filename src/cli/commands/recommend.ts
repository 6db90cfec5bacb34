import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { z } from "zod";
import { EXIT, InputError, parseObservationSnapshotText, UsageError } from "../../domain/index.js";
import { DEFAULT_POLICY_PATH, formatPolicyProblem, loadPolicyFile } from "../../policy/index.js";
import { recommendSnapshot, renderDecisionTable } from "../../recommend/index.js";
import { parseOutputFormat, printJson } from "../output.js";

interface RecommendOptions {
  observation: string;
  policy?: string;
  at?: string;
  output: string;
}

const isoTime = z.iso.datetime({ offset: true });

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
      if (options.at !== undefined && !isoTime.safeParse(options.at).success) {
        throw new UsageError(`--at: "${options.at}" is not an ISO 8601 time with a zone, such as 2026-11-21T06:00:00Z`);
      }
      const snapshot = parseObservationSnapshotText(await readSnapshot(options.observation), options.observation);
      const loaded = await loadPolicyFile(options.policy);
      for (const warning of loaded.warnings) process.stderr.write(`rightsize: ${formatPolicyProblem(warning)}\n`);

      const records = recommendSnapshot(snapshot, { policy: loaded.policy, policySource: loaded.source, at: options.at ?? snapshot.createdAt });
      if (format === "json") printJson(records);
      else process.stdout.write(renderDecisionTable(records));
      if (records.some((record) => record.decision.action === "blocked")) process.exitCode = EXIT.finding;
    });
}

async function readSnapshot(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (error as Error).message;
    throw new InputError(`${file}: cannot read the observation snapshot (${reason}); write one with "rightsize snapshot"`, { file });
  }
}
