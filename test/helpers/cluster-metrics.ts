import type { MetricFamily, MetricSeries } from "./prometheus.js";

/**
 * A cluster described as workloads, pods and usage curves, rendered as the cAdvisor and
 * kube-state-metrics series a real Prometheus would have scraped. Tests compute the numbers they
 * expect from the same description (usageAt, memoryAt), never from the code under test.
 */

/** base + amplitude × sin(2π (t − phase) / period), in cores or bytes. */
export interface UsageCurve {
  base: number;
  amplitude?: number;
  periodSeconds?: number;
  phaseSeconds?: number;
}

export interface ScenarioContainer {
  name: string;
  cpu: UsageCurve;
  memory: UsageCurve;
  /** Memory samples that replace the curve at exactly these scrape times. */
  memorySpikes?: Array<{ at: number; bytes: number }>;
  requests?: { cpu?: number; memory?: number };
  limits?: { cpu?: number; memory?: number };
  /** Share of CFS periods in which the container was throttled. */
  throttledRatio?: number;
  restarts?: Array<{ at: number; reason: "OOMKilled" | "Error"; exitCode: number }>;
}

export interface ScenarioPod {
  name: string;
  owner: { kind: string; name: string };
  start: number;
  end: number;
  containers: ScenarioContainer[];
}

export interface ScenarioJob {
  name: string;
  /** The CronJob that created it; none for a standalone Job. */
  cronJob?: string;
  start: number;
  end: number;
  outcome: "succeeded" | "failed" | "running";
}

export interface ScenarioNamespace {
  name: string;
  /** This namespace's scrape interval, for cAdvisor and kube-state-metrics alike (default: the scenario's). */
  scrapeInterval?: number;
  /**
   * Seconds after the pod's start (or the scenario's) of each series' first sample: scrapes off
   * the query step grid, as any real scraper's are.
   */
  scrapeOffset?: number;
  /** false: kube-state-metrics without kube_job_status_start_time and kube_job_status_completion_time. */
  jobTimingMetrics?: boolean;
  replicaSets: Array<{ name: string; owner?: { kind: "Deployment" | "Rollout"; name: string } }>;
  jobs: ScenarioJob[];
  hpas: Array<{ name: string; target: { kind: string; name: string }; metrics: string[] }>;
  pods: ScenarioPod[];
}

export interface Scenario {
  scrapeInterval: number;
  /** Interval of the kube-state-metrics series (constant values need fewer samples). */
  stateInterval?: number;
  start: number;
  end: number;
  namespaces: ScenarioNamespace[];
}

export function usageAt(curve: UsageCurve, t: number): number {
  if (!curve.amplitude || !curve.periodSeconds) return curve.base;
  return curve.base + curve.amplitude * Math.sin((2 * Math.PI * (t - (curve.phaseSeconds ?? 0))) / curve.periodSeconds);
}

/** ∫ usage dt from t0 to t1: the CPU-seconds counter cAdvisor exports. */
export function usageIntegral(curve: UsageCurve, t0: number, t1: number): number {
  const linear = curve.base * (t1 - t0);
  if (!curve.amplitude || !curve.periodSeconds) return linear;
  const omega = (2 * Math.PI) / curve.periodSeconds;
  const phase = curve.phaseSeconds ?? 0;
  return linear - (curve.amplitude / omega) * (Math.cos(omega * (t1 - phase)) - Math.cos(omega * (t0 - phase)));
}

/** The working-set sample at scrape time t, in whole bytes. */
export function memoryAt(container: ScenarioContainer, t: number): number {
  const spike = container.memorySpikes?.find((candidate) => candidate.at === t);
  return spike ? spike.bytes : Math.round(usageAt(container.memory, t));
}

export function scenarioFamilies(scenario: Scenario): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  const add = (name: string, type: MetricFamily["type"], series: MetricSeries) => {
    let family = families.get(name);
    if (!family) families.set(name, (family = { name, type, series: [] }));
    family.series.push(series);
  };
  const cadvisor = { job: "kubelet", metrics_path: "/metrics/cadvisor" };
  const ksm = { job: "kube-state-metrics", instance: "10.0.0.9:8080" };

  for (const namespace of scenario.namespaces) {
    const ns = namespace.name;
    const scrape = namespace.scrapeInterval ?? scenario.scrapeInterval;
    const state = namespace.scrapeInterval ?? scenario.stateInterval ?? scrape;
    const offset = namespace.scrapeOffset ?? 0;
    const clip = (start: number, end: number, interval: number) => ({ start: Math.max(start, scenario.start) + offset, end: Math.min(end, scenario.end), interval });
    for (const replicaSet of namespace.replicaSets) {
      add("kube_replicaset_owner", "gauge", {
        labels: { ...ksm, namespace: ns, replicaset: replicaSet.name, owner_kind: replicaSet.owner?.kind ?? "<none>", owner_name: replicaSet.owner?.name ?? "<none>", owner_is_controller: replicaSet.owner ? "true" : "<none>" },
        ...clip(scenario.start, scenario.end, state),
        value: () => 1,
      });
    }
    for (const job of namespace.jobs) {
      const span = clip(job.start, scenario.end, state);
      const base = { ...ksm, namespace: ns, job_name: job.name };
      add("kube_job_owner", "gauge", {
        labels: { ...base, owner_kind: job.cronJob ? "CronJob" : "<none>", owner_name: job.cronJob ?? "<none>", owner_is_controller: job.cronJob ? "true" : "<none>" },
        ...span,
        value: () => 1,
      });
      const timing = namespace.jobTimingMetrics !== false;
      if (timing) add("kube_job_status_start_time", "gauge", { labels: base, ...span, value: () => job.start });
      const ended = (t: number) => job.outcome !== "running" && t >= job.end;
      add("kube_job_status_succeeded", "gauge", { labels: base, ...span, value: (t) => (job.outcome === "succeeded" && ended(t) ? 1 : 0) });
      add("kube_job_status_failed", "gauge", { labels: base, ...span, value: (t) => (job.outcome === "failed" && ended(t) ? 1 : 0) });
      if (timing && job.outcome === "succeeded") add("kube_job_status_completion_time", "gauge", { labels: base, ...clip(job.end, scenario.end, state), value: () => job.end });
    }
    for (const hpa of namespace.hpas) {
      const base = { ...ksm, namespace: ns, horizontalpodautoscaler: hpa.name };
      add("kube_horizontalpodautoscaler_info", "gauge", {
        labels: { ...base, scaletargetref_api_version: "apps/v1", scaletargetref_kind: hpa.target.kind, scaletargetref_name: hpa.target.name },
        ...clip(scenario.start, scenario.end, state),
        value: () => 1,
      });
      for (const metric of hpa.metrics) {
        add("kube_horizontalpodautoscaler_spec_target_metric", "gauge", {
          labels: { ...base, metric_name: metric, metric_target_type: "utilization" },
          ...clip(scenario.start, scenario.end, state),
          value: () => 70,
        });
      }
    }
    for (const pod of namespace.pods) {
      const alive = clip(pod.start, pod.end, scrape);
      const aliveState = clip(pod.start, pod.end, state);
      add("kube_pod_owner", "gauge", {
        labels: { ...ksm, namespace: ns, pod: pod.name, owner_kind: pod.owner.kind, owner_name: pod.owner.name, owner_is_controller: pod.owner.kind === "<none>" ? "<none>" : "true" },
        ...aliveState,
        value: () => 1,
      });
      const podLabels = { ...cadvisor, namespace: ns, pod: pod.name };
      // cAdvisor also reports the pod cgroup (container="") and the pause container ("POD"); both must be ignored.
      add("container_cpu_usage_seconds_total", "counter", {
        labels: { ...podLabels, container: "" },
        ...alive,
        value: (t) => pod.containers.reduce((sum, container) => sum + usageIntegral(container.cpu, pod.start, t), 0),
      });
      add("container_memory_working_set_bytes", "gauge", {
        labels: { ...podLabels, container: "" },
        ...alive,
        value: (t) => pod.containers.reduce((sum, container) => sum + memoryAt(container, t), 0),
      });
      add("container_memory_working_set_bytes", "gauge", { labels: { ...podLabels, container: "POD" }, ...alive, value: () => 700_000 });
      for (const container of pod.containers) {
        const labels = { ...podLabels, container: container.name, image: `registry.example/${container.name}:1` };
        add("container_cpu_usage_seconds_total", "counter", { labels, ...alive, value: (t) => usageIntegral(container.cpu, pod.start, t) });
        add("container_memory_working_set_bytes", "gauge", { labels, ...alive, value: (t) => memoryAt(container, t) });
        if (container.limits?.cpu !== undefined) {
          // 100ms CFS periods: 10 per second while the container runs.
          add("container_cpu_cfs_periods_total", "counter", { labels, ...alive, value: (t) => 10 * (t - pod.start) });
          add("container_cpu_cfs_throttled_periods_total", "counter", { labels, ...alive, value: (t) => (container.throttledRatio ?? 0) * 10 * (t - pod.start) });
        }
        const stateLabels = { ...ksm, namespace: ns, pod: pod.name, container: container.name, uid: `uid-${pod.name}` };
        for (const [kind, amounts] of [
          ["requests", container.requests],
          ["limits", container.limits],
        ] as const) {
          for (const [resource, unit] of [
            ["cpu", "core"],
            ["memory", "byte"],
          ] as const) {
            const amount = amounts?.[resource];
            if (amount === undefined) continue;
            add(`kube_pod_container_resource_${kind}`, "gauge", { labels: { ...stateLabels, resource, unit, node: "node-1" }, ...aliveState, value: () => amount });
          }
        }
        const restarts = [...(container.restarts ?? [])].sort((a, b) => a.at - b.at);
        add("kube_pod_container_status_restarts_total", "counter", {
          labels: stateLabels,
          ...aliveState,
          value: (t) => restarts.filter((restart) => restart.at <= t).length,
        });
        for (const reason of new Set(restarts.map((restart) => restart.reason))) {
          // 1 while this is the reason of the last termination. A scraping Prometheus ends a
          // series kube-state-metrics stops exporting with a staleness marker, which backfilled
          // data cannot carry, so a reason that is no longer the last one is written as 0.
          add("kube_pod_container_status_last_terminated_reason", "gauge", {
            labels: { ...stateLabels, reason },
            ...aliveState,
            value: (t) => {
              const last = lastBefore(restarts, t);
              if (!restarts.some((restart) => restart.reason === reason && restart.at <= t)) return undefined;
              return last?.reason === reason ? 1 : 0;
            },
          });
        }
        if (restarts.length > 0) {
          add("kube_pod_container_status_last_terminated_exitcode", "gauge", { labels: stateLabels, ...aliveState, value: (t) => lastBefore(restarts, t)?.exitCode });
        }
      }
    }
  }
  return [...families.values()];
}

function lastBefore<T extends { at: number }>(events: T[], t: number): T | undefined {
  return events.filter((event) => event.at <= t).at(-1);
}
