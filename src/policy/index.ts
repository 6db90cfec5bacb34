export {
  CONFIDENCE_LEVELS,
  CPU_MARGIN_SOURCES,
  CURRENT_API_VERSION,
  DEFAULT_POLICY,
  LIMIT_MODES,
  PERCENTILES,
  POLICY_KIND,
  PrometheusConnectionSchema,
  SAFETY_RATINGS,
  parseDuration,
  type ApplyPolicy,
  type ConfidenceLevel,
  type CostPolicy,
  type Duration,
  type Policy,
  type RecommendPolicy,
  type SafetyRating,
} from "./schema.js";
export {
  DEFAULTS_SOURCE,
  defaultPolicy,
  formatPolicyProblem,
  loadPolicy,
  policyFieldPosition,
  PolicyInvalidError,
  type LoadedPolicy,
  type PolicyProblem,
  type PolicySource,
  type PolicyText,
} from "./load.js";
export { DEFAULT_POLICY_PATH, loadPolicyFile } from "./file.js";
export { SUPPORTED_VERSIONS } from "./versions.js";
export { policyJsonSchema } from "./json-schema.js";
export { migratePolicyText, type PolicyMigration } from "./migrate.js";
export { isNamespaceSelected, isWorkloadSelected } from "./selector.js";
