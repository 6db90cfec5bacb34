import type { z } from "zod";
import { quoteShort } from "../yaml/index.js";
import { migrationPath, type MigrationStep } from "./migration-steps.js";
import { CURRENT_API_VERSION, LEGACY_API_VERSION, PolicyV1alpha1Schema, PolicyV1alpha2Schema } from "./schema.js";

const API_GROUP = "rightsize.dev";

export interface SupportedVersion {
  apiVersion: string;
  status: "current" | "legacy";
  schema: z.ZodType;
  description: string;
}

export const SUPPORTED_VERSIONS: readonly SupportedVersion[] = [
  { apiVersion: CURRENT_API_VERSION, status: "current", schema: PolicyV1alpha2Schema, description: "current" },
  {
    apiVersion: LEGACY_API_VERSION,
    status: "legacy",
    schema: PolicyV1alpha1Schema,
    description: `legacy: still read; rewrite it with "rightsize policy migrate FILE --write"`,
  },
];

export type VersionClass =
  | { status: "current"; apiVersion: string; schema: z.ZodType; steps: readonly MigrationStep[] }
  | { status: "legacy"; apiVersion: string; schema: z.ZodType; steps: readonly MigrationStep[]; message: string }
  | { status: "newer"; apiVersion: string; schema: z.ZodType; steps: readonly MigrationStep[]; message: string }
  | { status: "unsupported"; message: string };

/**
 * SPEC §7 (kubenow v0.3 Feature 3): known versions are read strictly; a newer version of our
 * own API group is read for the fields we know, with warnings, and proposals are refused;
 * anything else is rejected with the list of versions this build supports.
 */
export function classifyApiVersion(value: unknown): VersionClass {
  const supportedList = SUPPORTED_VERSIONS.map((version) => version.apiVersion).join(", ");
  if (typeof value !== "string" || value === "") {
    return { status: "unsupported", message: `apiVersion is missing: add "apiVersion: ${CURRENT_API_VERSION}" (supported: ${supportedList})` };
  }
  const known = SUPPORTED_VERSIONS.find((version) => version.apiVersion === value);
  if (known) {
    const steps = migrationPath(known.apiVersion, CURRENT_API_VERSION).flatMap((migration) => migration.steps);
    return known.status === "current"
      ? { status: "current", apiVersion: value, schema: known.schema, steps }
      : { status: "legacy", apiVersion: value, schema: known.schema, steps, message: `${value} is ${known.description}` };
  }
  const [group, version] = value.split("/");
  const rank = group === API_GROUP && version ? versionRank(version) : undefined;
  const currentRank = versionRank(CURRENT_API_VERSION.split("/")[1]!)!;
  if (rank && compareRanks(rank, currentRank) > 0) {
    return {
      status: "newer",
      apiVersion: value,
      schema: PolicyV1alpha2Schema,
      steps: [],
      message: `${value} is newer than this rightsize understands (newest: ${CURRENT_API_VERSION}); known fields are read and reports work, but proposals are paused until rightsize is upgraded`,
    };
  }
  return { status: "unsupported", message: `unsupported apiVersion ${quoteShort(value)}: use one of ${supportedList}` };
}

type Rank = [major: number, stage: number, minor: number];

/** Kubernetes version priority: v2 > v1 > v1beta2 > v1beta1 > v1alpha2 > v1alpha1. */
function versionRank(version: string): Rank | undefined {
  const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (!match) return undefined;
  const stage = match[2] === "alpha" ? 0 : match[2] === "beta" ? 1 : 2;
  return [Number(match[1]), stage, Number(match[3] ?? 0)];
}

function compareRanks(a: Rank, b: Rank): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}
