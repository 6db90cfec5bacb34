import type { Command } from "commander";
import { EXIT } from "../../domain/index.js";
import {
  DEFAULT_POLICY_PATH,
  formatPolicyProblem,
  loadPolicyFile,
  PolicyInvalidError,
  policyJsonSchema,
  SUPPORTED_VERSIONS,
  type PolicyProblem,
} from "../../policy/index.js";
import { parseOutputFormat, printJson, renderTable } from "../output.js";

export function register(program: Command): void {
  const policy = program.command("policy").description("Validate, migrate and describe the policy file (.github/rightsize.yml).");

  policy
    .command("validate")
    .description("Check a policy file; prints every problem with file:line:column. Exit 0 valid, 1 valid with warnings, 2 invalid.")
    .argument("[file]", `policy file (default: ${DEFAULT_POLICY_PATH}; a missing default file means the defaults)`)
    .option("--output <format>", "text or json", "text")
    .action(async (file: string | undefined, options: { output: string }) => {
      const format = parseOutputFormat(options.output);
      const report = await validate(file);
      if (format === "json") printJson(report);
      else process.stdout.write(renderValidation(report));
      process.exitCode = report.errors.length > 0 ? EXIT.input : report.warnings.length > 0 ? EXIT.finding : EXIT.ok;
    });

  policy
    .command("versions")
    .description("List the policy apiVersions this rightsize reads.")
    .option("--output <format>", "text or json", "text")
    .action((options: { output: string }) => {
      const versions = SUPPORTED_VERSIONS.map(({ apiVersion, status, description }) => ({ apiVersion, status, description }));
      if (parseOutputFormat(options.output) === "json") printJson(versions);
      else process.stdout.write(`${renderTable([["API VERSION", "STATUS"], ...versions.map((version) => [version.apiVersion, version.description])])}\n`);
    });

  policy
    .command("schema")
    .description("Print the policy file's JSON Schema (also in schemas/policy.schema.json).")
    .action(() => printJson(policyJsonSchema()));
}

interface ValidationReport {
  file: string;
  valid: boolean;
  apiVersion?: string;
  canPropose: boolean;
  errors: PolicyProblem[];
  warnings: PolicyProblem[];
}

async function validate(explicitFile: string | undefined): Promise<ValidationReport> {
  const file = explicitFile ?? DEFAULT_POLICY_PATH;
  try {
    const loaded = await loadPolicyFile(explicitFile);
    return { file: loaded.source.path, valid: true, apiVersion: loaded.source.apiVersion, canPropose: loaded.canPropose, errors: [], warnings: loaded.warnings };
  } catch (error) {
    if (!(error instanceof PolicyInvalidError)) throw error;
    const errors = error.problems.filter((problem) => problem.severity === "error");
    const warnings = error.problems.filter((problem) => problem.severity === "warning");
    return { file, valid: false, canPropose: false, errors, warnings };
  }
}

function renderValidation(report: ValidationReport): string {
  const lines = [...report.errors, ...report.warnings].map(formatPolicyProblem);
  const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;
  if (!report.valid) lines.push(`${report.file}: invalid (${plural(report.errors.length, "error")}, ${plural(report.warnings.length, "warning")})`);
  else if (report.warnings.length > 0) {
    const proposing = report.canPropose ? "" : "; proposals are paused, reports still work";
    lines.push(`${report.file}: valid with ${plural(report.warnings.length, "warning")}${proposing}`);
  } else lines.push(`${report.file}: valid (${report.apiVersion})`);
  return `${lines.join("\n")}\n`;
}

