/**
 * Observation (SPEC §4): every read from clusters and metric stores. Returns plain data in the
 * snapshot format of src/domain/observation.ts; never writes to a cluster.
 */
export { observeWithPrometheus, discoverPrometheusNamespaces, PROMETHEUS_SOURCE, type PrometheusRequest, type PrometheusObservation } from "./prometheus/source.js";
export { QueryProblem, DEFAULT_MAX_QUERY_LENGTH, type PrometheusSourceOptions, type RequestAuthorizer, type OutgoingRequest } from "./prometheus/client.js";
export { createAuthorizer, type StoreAuth } from "./auth/index.js";
export type { ClusterScope } from "./prometheus/queries.js";
export { observeUsageWithPrometheus, type UsageRequest } from "./prometheus/measured-usage.js";
export {
  observeWithKubernetesApi,
  discoverKubernetesNamespaces,
  KUBERNETES_SOURCE,
  METRICS_SERVER_SOURCE,
  SAMPLING_LIMITS,
  type KubernetesRequest,
  type SamplingRequest,
  type KubernetesConnectionOptions,
} from "./kubernetes/index.js";
export type { RunLimits } from "./kubernetes/runs.js";
export { buildSnapshot, renderSnapshot, writeSnapshotFile } from "./snapshot.js";
export { observeForPolicy, type PolicyObservationRequest } from "./policy.js";
export { credentialsFromEnv, prometheusConnection, PROMETHEUS_ENV, type PrometheusConnection } from "./connection.js";
export { diagnosePrometheus, doctorReport, renderDoctorMarkdown, renderDoctorText, type DoctorReport, type ClusterDiagnosis, type MetricDiagnosis } from "./doctor.js";
export { METRIC_REQUIREMENTS, type MetricRequirement } from "./prometheus/metrics.js";
export { sourceFor, redactSourceEndpoints, diagnoseClusters, type DiagnoseRequest, type ObservationSource, type ClusterConnection, type SourceOptions, type SourceRequest, type SourceObservation } from "./sources.js";
export { OperatorClustersSchema, loadOperatorClusters, parseOperatorClusters, clusterSecretVariables, type OperatorClusters, type OperatorCluster } from "./clusters.js";
export type { ObservationProblem, ObservationCallbacks } from "./request.js";
