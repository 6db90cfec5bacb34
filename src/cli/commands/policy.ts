import type { Command } from "commander";
import path from "node:path";
import { alignColumns, EXIT, InputError, readTextFileBounded, realTargetWithin, repositoryRootOf, terminalText, UsageError, writeFileAtomically } from "../../domain/index.js";
import { unifiedDiff } from "../../manifests/index.js";
import {
  CURRENT_API_VERSION,
  DEFAULT_POLICY_PATH,
  migratePolicyText,
  formatPolicyProblem,
  loadPolicyFile,
  PolicyInvalidError,
  policyJsonSchema,
  SUPPORTED_VERSIONS,
  type PolicyProblem,
} from "../../policy/index.js";
import { YAML_BOUNDS, formatBytes, formatSize } from "../../yaml/index.js";
import { addOutputOptions, parseOutputFormat, printOutput, type OutputFlags, type Rows } from "../output.js";

export function register(program: Command): void {
  const policy = program.command("policy").description("Validate, migrate and describe the policy file (.github/rightsize.yml).");

  const validateCommand = policy
    .command("validate")
    .description("Check a policy file; prints every problem with file:line:column. Exit 0 valid, 1 valid with warnings, 2 invalid.")
    .argument("[file]", `policy file (default: ${DEFAULT_POLICY_PATH}; a missing default file means the defaults)`);
  addOutputOptions(validateCommand).action(async (file: string | undefined, options: OutputFlags) => {
    const format = parseOutputFormat(options.output);
    const report = await validate(file);
    printOutput(format, options, { data: () => report, table: () => renderValidation(report), rows: () => problemRows(report) });
    process.exitCode = report.errors.length > 0 ? EXIT.input : report.warnings.length > 0 ? EXIT.finding : EXIT.ok;
  });

  policy
    .command("migrate")
    .description("Rewrite a policy file to a newer apiVersion, keeping comments and unknown fields; prints the result, the diff (--dry-run), or writes it (--write).")
    .argument("<file>", "policy file")
    .option("--to <version>", "target version", CURRENT_API_VERSION.replace("rightsize.dev/", ""))
    .option("--dry-run", "print a unified diff instead of the file")
    .option("--write", "write the migrated file in place (atomically)")
    .action(async (file: string, options: { to: string; dryRun?: boolean; write?: boolean }) => {
      if (options.dryRun && options.write) throw new UsageError("--dry-run and --write exclude each other");
      const to = options.to.includes("/") ? options.to : `rightsize.dev/${options.to}`;
      const { text, target } = await readPolicyInput(file);
      const migration = migratePolicyText({ path: file, text }, to);
      if (migration.applied.length === 0) {
        process.stderr.write(terminalText(`${file} is already ${migration.to}; nothing to migrate\n`));
        if (!options.dryRun && !options.write) process.stdout.write(migration.text);
        return;
      }
      if (options.dryRun) process.stdout.write(unifiedDiff(file, text, migration.text));
      else if (options.write) await writeFileAtomically(target, migration.text, "the migrated policy");
      else process.stdout.write(migration.text);
      process.stderr.write(terminalText(`${file}: ${migration.from} → ${migration.to}${options.write ? " (written)" : ""}\n${migration.applied.map((step) => `  - ${step}`).join("\n")}\n`));
    });

  const versionsCommand = policy.command("versions").description("List the policy apiVersions this rightsize reads.");
  addOutputOptions(versionsCommand).action((options: OutputFlags) => {
    const format = parseOutputFormat(options.output);
    const versions = SUPPORTED_VERSIONS.map(({ apiVersion, status, description }) => ({ apiVersion, status, description }));
    printOutput(format, options, {
      data: () => versions,
      table: () => `${alignColumns([["API VERSION", "STATUS"], ...versions.map((version) => [version.apiVersion, version.description])])}\n`,
      rows: () => ({ columns: ["api_version", "status", "description"], rows: versions.map((version) => [version.apiVersion, version.status, version.description]) }),
    });
  });

  const SCHEMA_FORMATS = ["json", "yaml"] as const;
  const schemaCommand = policy.command("schema").description("Print the policy file's JSON Schema (also in schemas/policy.schema.json).");
  addOutputOptions(schemaCommand, "json", SCHEMA_FORMATS).action((options: OutputFlags) => {
    const format = parseOutputFormat(options.output, SCHEMA_FORMATS);
    const schema = policyJsonSchema();
    printOutput(format, options, { data: () => schema, table: () => "", rows: () => ({ columns: [], rows: [] }) });
  });
}

/** One row per problem, errors first. */
function problemRows(report: ValidationReport): Rows {
  return {
    columns: ["file", "line", "column", "severity", "field", "message"],
    rows: [...report.errors, ...report.warnings].map((problem) => [problem.file, problem.line, problem.column, problem.severity, problem.field, problem.message]),
  };
}

/**
 * The file `policy migrate` rewrites: bounded and strictly UTF-8, so a rewrite never mangles
 * bytes; through a symbolic link only when it stays in the repository (the link stays a link).
 */
async function readPolicyInput(file: string): Promise<{ text: string; target: string }> {
  const target = await realTargetWithin(await repositoryRootOf(file, path.dirname(path.resolve(file))), file);
  if (target === undefined) throw new InputError(`${file}: is a symbolic link to a file outside the repository; migrate the file it points to instead`, { file });
  const read = await readTextFileBounded(target, YAML_BOUNDS.policyBytes);
  switch (read.kind) {
    case "text":
      return { text: read.text, target };
    case "missing":
      throw new InputError(`${file}: cannot read the policy file (file not found)`, { file });
    case "not-a-file":
      throw new InputError(`${file}: cannot read the policy file (it is not a regular file)`, { file });
    case "too-large":
      throw new InputError(`${file}: is ${formatSize(read.bytes, YAML_BOUNDS.policyBytes)}, more than the ${formatBytes(YAML_BOUNDS.policyBytes)} a policy file may be`, { file });
    case "not-utf8":
      throw new InputError(`${file}:${read.invalid.line}:${read.invalid.column}: is not UTF-8 text; save it as UTF-8`, { file, line: read.invalid.line, column: read.invalid.column });
  }
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
