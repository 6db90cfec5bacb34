import { InputError } from "../domain/index.js";
import { loadPolicy, type PolicyText } from "./load.js";
import { migrationPath, valueAt, type MigrationStep } from "./migration-steps.js";
import { CURRENT_API_VERSION } from "./schema.js";
import { documentToData, editYamlText, parseYamlText, YAML_BOUNDS, type YamlEdit } from "../yaml/index.js";

export interface PolicyMigration {
  from: string;
  to: string;
  text: string;
  /** What each applied step did, in words; empty when the file was already at the target version. */
  applied: string[];
}

/**
 * `rightsize policy migrate`: rewrites a policy file to a newer version with the declarative
 * steps of migration-steps.ts, through the manifest editor's byte layer, so comments, key order
 * and unknown fields survive wherever a step does not touch them.
 */
export function migratePolicyText(file: PolicyText, to = CURRENT_API_VERSION): PolicyMigration {
  assertValid(file);
  const from = apiVersionOf(file);
  if (from === to) return { from, to, text: file.text, applied: [] };
  const migrations = migrationPath(from, to);
  if (migrations.length === 0) throw new InputError(`${file.path}: no migration from ${from} to ${to}; see "rightsize policy versions"`, { file: file.path, field: "apiVersion" });

  let text = file.text;
  const applied: string[] = [];
  for (const migration of migrations) {
    const data = dataOf(text) as Record<string, unknown>;
    const edits = migration.steps.flatMap((step) => {
      const stepEdits = editsFor(step, data);
      if (stepEdits.length > 0) applied.push(step.why);
      return stepEdits;
    });
    const outcome = editYamlText(text, edits, file.path);
    if (!outcome.ok) throw outcome.refusal;
    text = outcome.text;
  }
  assertValid({ path: file.path, text });
  return { from, to, text, applied };
}

function editsFor(step: MigrationStep, data: Record<string, unknown>): YamlEdit[] {
  const present = valueAt(data, step.path) !== undefined;
  switch (step.op) {
    case "set":
      return valueAt(data, step.path) === step.value ? [] : [{ kind: "set", path: [...step.path], value: String(step.value) }];
    case "addDefault":
      if (step.when && valueAt(data, step.when) === undefined) return [];
      return present ? [] : [{ kind: "set", path: [...step.path], value: String(step.value) }];
    case "rename":
      return present ? [{ kind: "rename", path: [...step.path], to: step.to }] : [];
    case "restructure": {
      if (!present) return [];
      // In place: the key's comments (above it and after its value) stay with the new mapping.
      const computed = step.compute(valueAt(data, step.path));
      if (computed === null || typeof computed !== "object" || Array.isArray(computed)) {
        return [{ kind: "remove", path: [...step.path] }, ...leafEdits([...step.path.slice(0, -1), step.to], computed)];
      }
      return [{ kind: "restructure", path: [...step.path], to: step.to, values: Object.entries(computed).map(([key, value]) => [key, String(value)] as const) }];
    }
  }
}

function leafEdits(path: string[], value: unknown): YamlEdit[] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, child]) => leafEdits([...path, key], child));
  }
  return [{ kind: "set", path, value: String(value) }];
}

function apiVersionOf(file: PolicyText): string {
  const data = dataOf(file.text);
  const apiVersion = data !== null && typeof data === "object" ? (data as Record<string, unknown>).apiVersion : undefined;
  if (typeof apiVersion !== "string") throw new InputError(`${file.path}: apiVersion is missing; nothing to migrate from`, { file: file.path, field: "apiVersion" });
  return apiVersion;
}

/** The policy as plain data, read within the same bounds as loadPolicy (which has accepted the text by now). */
function dataOf(text: string): unknown {
  const [document] = parseYamlText(text, { maxBytes: YAML_BOUNDS.policyBytes, templates: false }).documents;
  const data = document ? documentToData(document) : { data: undefined };
  return "data" in data ? data.data : undefined;
}

/** A file with errors is not migrated: loadPolicy throws with every problem listed. */
function assertValid(file: PolicyText): void {
  loadPolicy(file);
}
