/**
 * Observation (SPEC §4): every read from clusters and metric stores. Returns plain data in the
 * snapshot format of src/domain/observation.ts; never writes to a cluster.
 */
export { observeWithPrometheus, discoverPrometheusNamespaces, PROMETHEUS_SOURCE, type PrometheusRequest, type PrometheusObservation } from "./prometheus/source.js";
export { QueryProblem, type PrometheusSourceOptions } from "./prometheus/client.js";
export { observeUsageWithPrometheus, type UsageRequest } from "./prometheus/measured-usage.js";
export {
  observeWithKubernetesApi,
  discoverKubernetesNamespaces,
  KUBERNETES_SOURCE,
  METRICS_SERVER_SOURCE,
  SAMPLING_LIMITS,
  type KubernetesRequest,
  type SamplingRequest,
} from "./kubernetes/source.js";
export type { KubernetesConnectionOptions } from "./kubernetes/api.js";
export type { RunLimits } from "./kubernetes/runs.js";
export { buildSnapshot, renderSnapshot, writeSnapshotFile } from "./snapshot.js";
export { observeForPolicy, credentialsFromEnv, PROMETHEUS_ENV, type PolicyObservationRequest } from "./policy.js";
export type { ObservationProblem, ObservationCallbacks } from "./request.js";
