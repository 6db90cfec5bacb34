/**
 * SPEC §5–§6: the recommendation engine. Pure: an observation and a policy in, a decision
 * record out; no clock (the evaluation time is an input), no I/O, deterministic.
 */
export { recommendSnapshot, recommendWorkload, type ManifestRef, type PolicySourceRef, type RecommendInput, type ToolRef } from "./engine.js";
export {
  ContainerDecisionSchema,
  DECISION_RECORD_SCHEMA_VERSION,
  DecisionRecordSchema,
  type ContainerAction,
  type ContainerDecision,
  type DecisionRecord,
  type WorkloadDecision,
} from "./record.js";
export { decisionRows, renderDecisionTable, type ContainerRow, type Paint, type RequestRow, type Tone } from "./table.js";
export { describeMonthlyCost, plural } from "./describe.js";
export { HOURS_PER_MONTH } from "./engine.js";
export { CONFIDENCE_THRESHOLDS, CONTINUOUS_FORMULA, RUN_BASED_FORMULA } from "./confidence.js";
export { canonicalJson } from "./digest.js";
export type { WrittenResources } from "./current.js";
