import { ObservationSnapshotSchema, toPublishedSchema, UsageTraceSchema } from "./domain/index.js";
import { OperatorClustersSchema } from "./observe/index.js";
import { policyJsonSchema } from "./policy/index.js";
import { DecisionRecordSchema } from "./recommend/index.js";

/**
 * The JSON Schemas published in `schemas/`, generated from the zod schemas that define each
 * format (`npm run schemas` writes them; a test checks the committed files are current).
 */
export const PUBLISHED_SCHEMAS: Record<string, () => unknown> = {
  "observation.schema.json": () => toPublishedSchema(ObservationSnapshotSchema, "Rightsize observation snapshot"),
  "policy.schema.json": policyJsonSchema,
  "decision.schema.json": () => toPublishedSchema(DecisionRecordSchema, "Rightsize decision record"),
  "trace.schema.json": () => toPublishedSchema(UsageTraceSchema, "Rightsize usage trace (rightsize backtest --trace)"),
  "clusters.schema.json": () => toPublishedSchema(OperatorClustersSchema, "Rightsize operator clusters file (RIGHTSIZE_CLUSTERS_FILE)"),
};
