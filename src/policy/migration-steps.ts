import { CURRENT_API_VERSION, LEGACY_API_VERSION } from "./schema.js";

/**
 * Migrations are data, not code paths: each step is declarative, so the same list rewrites a
 * loaded policy in memory (to read a v1alpha1 file) and the YAML file on disk (`policy migrate`,
 * comment-preserving). A step whose source is absent does nothing.
 */
export type FieldPath = readonly string[];

export type MigrationStep =
  | { op: "set"; path: FieldPath; value: unknown; why: string }
  | { op: "rename"; path: FieldPath; to: string; why: string }
  | { op: "restructure"; path: FieldPath; to: string; compute: (old: unknown) => unknown; why: string }
  /** Sets the value where the file has none; with `when`, only where the file (before migrating) has that field. */
  | { op: "addDefault"; path: FieldPath; value: unknown; why: string; when?: FieldPath };

export interface Migration {
  from: string;
  to: string;
  steps: readonly MigrationStep[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    from: LEGACY_API_VERSION,
    to: CURRENT_API_VERSION,
    steps: [
      { op: "set", path: ["apiVersion"], value: CURRENT_API_VERSION, why: "new apiVersion" },
      {
        op: "restructure",
        path: ["recommend", "safetyFactor"],
        to: "margins",
        // SPEC §7: one safety factor f becomes {SAFE: f, CAUTION: max(f, 1.3), RISKY: max(f, 1.5)}.
        compute: (factor) => {
          const f = Number(factor);
          return { SAFE: f, CAUTION: Math.max(f, 1.3), RISKY: Math.max(f, 1.5) };
        },
        why: "recommend.safetyFactor f became recommend.margins {SAFE: f, CAUTION: max(f, 1.3), RISKY: max(f, 1.5)}",
      },
      // v1alpha1's safetyFactor multiplied every request; v1alpha2 sizes CPU and memory from each
      // container's variability by default, which leaves the SAFE margin unused. Margins from the
      // rating keep the file's behaviour (`when` reads the file as it was, safetyFactor included).
      ...(["cpu", "memory"] as const).map(
        (resource): MigrationStep => ({
          op: "addDefault",
          path: ["recommend", resource, "margin"],
          value: "rating",
          when: ["recommend", "safetyFactor"],
          why: `recommend.${resource}.margin: rating, so ${resource === "cpu" ? "CPU" : "memory"} requests keep using the safety factor as margin (v1alpha2's default, variability, sizes ${resource === "cpu" ? "CPU" : "memory"} by each container's own spread and leaves the SAFE margin unused)`,
        }),
      ),
      { op: "rename", path: ["rateLimits", "window"], to: "perWorkloadWindow", why: "rateLimits.window was renamed" },
      {
        op: "addDefault",
        path: ["apply", "minConfidence"],
        value: "MEDIUM",
        why: "v1alpha2 proposes only at MEDIUM confidence or above; stated explicitly",
      },
      { op: "set", path: ["metadata", "migratedFrom"], value: LEGACY_API_VERSION, why: "records where the file came from" },
    ],
  },
];

export function migrationPath(from: string, to: string): Migration[] {
  const path: Migration[] = [];
  let version = from;
  while (version !== to) {
    const next = MIGRATIONS.find((migration) => migration.from === version);
    if (!next) return [];
    path.push(next);
    version = next.to;
  }
  return path;
}

type PlainObject = Record<string, unknown>;

/** The value at a field path of plain data, or undefined where the path leads nowhere. */
export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), data);
}

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Applies steps to plain data (a deep copy is returned; the input is left alone). */
export function migrateData(data: PlainObject, steps: readonly MigrationStep[]): PlainObject {
  const result = structuredClone(data);
  for (const step of steps) {
    const parentPath = step.path.slice(0, -1);
    const key = step.path[step.path.length - 1]!;
    const parent = valueAt(result, parentPath);
    switch (step.op) {
      case "set":
      case "addDefault": {
        if (step.op === "addDefault" && step.when && valueAt(data, step.when) === undefined) break;
        const container = ensureObject(result, parentPath);
        if (step.op === "set" || !(key in container)) container[key] = step.value;
        break;
      }
      case "rename":
      case "restructure": {
        if (!isPlainObject(parent) || !(key in parent)) break;
        const entries = Object.entries(parent).map(([name, old]): [string, unknown] =>
          name === key ? [step.to, step.op === "restructure" ? step.compute(old) : old] : [name, old],
        );
        for (const name of Object.keys(parent)) delete parent[name];
        Object.assign(parent, Object.fromEntries(entries));
        break;
      }
    }
  }
  return result;
}

function ensureObject(root: PlainObject, path: FieldPath): PlainObject {
  let node = root;
  for (const part of path) {
    if (!isPlainObject(node[part])) node[part] = {};
    node = node[part] as PlainObject;
  }
  return node;
}
