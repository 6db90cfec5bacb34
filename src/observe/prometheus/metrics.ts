import type { ContainerEvidence, WorkloadEvidence } from "../../domain/index.js";

/**
 * Every metric rightsize reads from a Prometheus-compatible store (SPEC §4), what becomes unknown
 * without it, and how to get it: the one table `rightsize doctor` reports from and the
 * observation marks unknown evidence with.
 */
export interface MetricRequirement {
  metric: string;
  exporter: "cAdvisor" | "kube-state-metrics";
  /** Evidence that is unknown without it. */
  evidence: ReadonlyArray<ContainerEvidence | WorkloadEvidence>;
  /** What its absence costs, in words. */
  cost: string;
  /** The exact fix. */
  fix: string;
  /** Without it no proposal can be made. */
  essential: boolean;
}

const KSM = "install kube-state-metrics and let Prometheus scrape it";
const ksmResource = (resource: string, metric: string) =>
  `${KSM}; if it runs, enable its ${resource} resource (--resources) and keep ${metric} in its --metric-allowlist / out of its --metric-denylist`;
const CFS =
  "enable cAdvisor CFS metrics: keep container_cpu_cfs_periods_total and container_cpu_cfs_throttled_periods_total in the kubelet/cAdvisor scrape (no metric_relabel_configs that drops container_cpu_cfs_*)";

export const METRIC_REQUIREMENTS: readonly MetricRequirement[] = [
  {
    metric: "container_cpu_usage_seconds_total",
    exporter: "cAdvisor",
    evidence: ["cpu"],
    cost: "no CPU usage: no CPU request can be recommended",
    fix: "scrape the kubelet's cAdvisor endpoint (/metrics/cadvisor) with Prometheus",
    essential: true,
  },
  {
    metric: "container_memory_working_set_bytes",
    exporter: "cAdvisor",
    evidence: ["memory"],
    cost: "no memory working set: no memory request can be recommended",
    fix: "scrape the kubelet's cAdvisor endpoint (/metrics/cadvisor) with Prometheus",
    essential: true,
  },
  {
    metric: "container_cpu_cfs_periods_total",
    exporter: "cAdvisor",
    evidence: ["throttling"],
    cost: "CPU throttling of containers with a CPU limit is unknown: their CPU is rated CAUTION at best",
    fix: CFS,
    essential: false,
  },
  {
    metric: "container_cpu_cfs_throttled_periods_total",
    exporter: "cAdvisor",
    evidence: ["throttling"],
    cost: "CPU throttling of containers with a CPU limit is unknown: their CPU is rated CAUTION at best",
    fix: CFS,
    essential: false,
  },
  {
    metric: "kube_pod_owner",
    exporter: "kube-state-metrics",
    evidence: ["owners"],
    cost: "no pod is known to belong to a workload: nothing can be observed or proposed",
    fix: ksmResource("pods", "kube_pod_owner"),
    essential: true,
  },
  {
    metric: "kube_replicaset_owner",
    exporter: "kube-state-metrics",
    evidence: ["owners"],
    cost: "pods of Deployments and Rollouts are seen as bare ReplicaSets, which have no manifest to edit",
    fix: ksmResource("replicasets", "kube_replicaset_owner"),
    essential: false,
  },
  {
    metric: "kube_job_owner",
    exporter: "kube-state-metrics",
    evidence: ["owners"],
    cost: "runs of CronJobs are seen as separate Jobs, so CronJobs are not sized",
    fix: ksmResource("jobs", "kube_job_owner"),
    essential: false,
  },
  {
    metric: "kube_pod_container_status_restarts_total",
    exporter: "kube-state-metrics",
    evidence: ["restarts", "oomKills"],
    cost: "restarts and OOM kills are unknown: confidence is lowered, ratings are CAUTION at best and memory decreases are held",
    fix: ksmResource("pods", "kube_pod_container_status_restarts_total"),
    essential: false,
  },
  {
    metric: "kube_pod_container_status_last_terminated_reason",
    exporter: "kube-state-metrics",
    evidence: ["oomKills"],
    cost: "OOM kills of containers that restarted are unknown: their memory decreases are held",
    fix: ksmResource("pods", "kube_pod_container_status_last_terminated_reason"),
    essential: false,
  },
  {
    metric: "kube_pod_container_resource_requests",
    exporter: "kube-state-metrics",
    evidence: ["requests"],
    cost: "live requests are unknown: the manifest's values are taken as current, and a rollout cannot be confirmed",
    fix: ksmResource("pods", "kube_pod_container_resource_requests"),
    essential: false,
  },
  {
    metric: "kube_pod_container_resource_limits",
    exporter: "kube-state-metrics",
    evidence: ["requests"],
    cost: "live limits are unknown: whether a container can be throttled is read from the manifest only",
    fix: ksmResource("pods", "kube_pod_container_resource_limits"),
    essential: false,
  },
  {
    metric: "kube_job_status_start_time",
    exporter: "kube-state-metrics",
    evidence: ["jobTiming"],
    cost: "runs start at their pods' first working-set sample (to the query step)",
    fix: ksmResource("jobs", "kube_job_status_start_time"),
    essential: false,
  },
  {
    metric: "kube_job_status_completion_time",
    exporter: "kube-state-metrics",
    evidence: ["jobTiming"],
    cost: "runs end at their pods' last working-set sample",
    fix: ksmResource("jobs", "kube_job_status_completion_time"),
    essential: false,
  },
  {
    metric: "kube_job_status_succeeded",
    exporter: "kube-state-metrics",
    evidence: ["jobTiming"],
    cost: "finished runs cannot be told from running ones: Jobs and CronJobs get no runs",
    fix: ksmResource("jobs", "kube_job_status_succeeded"),
    essential: false,
  },
  {
    metric: "kube_job_status_failed",
    exporter: "kube-state-metrics",
    evidence: ["jobTiming"],
    cost: "failed runs are not seen: a CronJob failing every run is not blocked",
    fix: ksmResource("jobs", "kube_job_status_failed"),
    essential: false,
  },
  {
    metric: "kube_horizontalpodautoscaler_info",
    exporter: "kube-state-metrics",
    evidence: [],
    cost: "HPAs are not seen: a CPU request an HPA scales on may be changed",
    fix: ksmResource("horizontalpodautoscalers", "kube_horizontalpodautoscaler_info"),
    essential: false,
  },
  {
    metric: "kube_horizontalpodautoscaler_spec_target_metric",
    exporter: "kube-state-metrics",
    evidence: [],
    cost: "the resources HPAs scale on are not seen: a request an HPA scales on may be changed",
    fix: ksmResource("horizontalpodautoscalers", "kube_horizontalpodautoscaler_spec_target_metric"),
    essential: false,
  },
];

/** `{__name__=~"a|b|…",<scope>}`: the series of every metric rightsize reads, for the metric-names lookup. */
export function requiredMetricsSelector(matchers: string): string {
  const names = METRIC_REQUIREMENTS.map((requirement) => requirement.metric).join("|");
  return `{__name__=~"${names}"${matchers ? `,${matchers}` : ""}}`;
}
