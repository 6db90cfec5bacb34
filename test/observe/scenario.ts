import type { Scenario, ScenarioContainer, ScenarioJob, ScenarioPod } from "../helpers/cluster-metrics.js";

/**
 * Two days of a small cluster, scraped every minute, ending at TO:
 * - shop/Deployment web: a rollout replaces ReplicaSet web-6d4cf56db6 by web-7f9b8c7d5 at MID
 *   (10 minutes of overlap); two replicas each; containers app and istio-proxy; an HPA on CPU;
 *   a 900Mi spike two hours before the window (must not count) and a 612Mi spike inside it.
 * - shop/StatefulSet db: one OOM kill and one error restart in the window (one more OOM kill
 *   before it), CPU throttled in 18% of periods.
 * - shop/DaemonSet node-agent: two pods with different loads (the busier one defines the numbers).
 * - shop/CronJob report: a run every 4 hours for 20 minutes; run 6 fails (exit code 2); the last
 *   one is still running at TO. shop/Job migrate: one standalone run.
 * - shop/Rollout canary, a bare ReplicaSet legacy-rs, and a bare pod debug (not a workload).
 * - batch/Deployment worker.
 * - legacy/CronJob cleanup, under a kube-state-metrics without the Job timing metrics
 *   (kube_job_status_start_time, kube_job_status_completion_time): a run every 6 hours for
 *   10 minutes; run 3 fails (exit code 1); the last one is still running at TO.
 */

export const HOUR = 3600;
export const MI = 1024 * 1024;
export const GI = 1024 * MI;
export const TO = Date.parse("2025-01-03T00:00:00Z") / 1000;
export const WINDOW_SECONDS = 48 * HOUR;
export const FROM = TO - WINDOW_SECONDS;
export const MID = FROM + 20 * HOUR;
export const START = FROM - 3 * HOUR;

const web = (phaseHours: number, spikes: ScenarioContainer["memorySpikes"], resources: Pick<ScenarioContainer, "requests" | "limits">): ScenarioContainer[] => [
  {
    name: "app",
    cpu: { base: 0.3, amplitude: 0.15, periodSeconds: 24 * HOUR, phaseSeconds: phaseHours * HOUR },
    memory: { base: 300 * MI, amplitude: 40 * MI, periodSeconds: 24 * HOUR, phaseSeconds: phaseHours * HOUR },
    memorySpikes: spikes,
    ...resources,
  },
  {
    name: "istio-proxy",
    cpu: { base: 0.02, amplitude: 0.01, periodSeconds: 6 * HOUR },
    memory: { base: 60 * MI, amplitude: 2 * MI, periodSeconds: 6 * HOUR },
    requests: { cpu: 0.1, memory: 128 * MI },
  },
];

const oldWeb = { requests: { cpu: 0.5, memory: 512 * MI } };
const newWeb = { requests: { cpu: 0.4, memory: 640 * MI }, limits: { memory: 1 * GI } };

export const WEB_SPIKE = { at: MID + 5 * HOUR, bytes: 612 * MI + 123 };
export const OLD_SPIKE = { at: FROM - 2 * HOUR, bytes: 900 * MI };

export const webPods: ScenarioPod[] = [
  { name: "web-6d4cf56db6-aaaaa", owner: { kind: "ReplicaSet", name: "web-6d4cf56db6" }, start: START, end: MID, containers: web(0, [OLD_SPIKE], oldWeb) },
  { name: "web-6d4cf56db6-bbbbb", owner: { kind: "ReplicaSet", name: "web-6d4cf56db6" }, start: START, end: MID, containers: web(3, [], oldWeb) },
  { name: "web-7f9b8c7d5-ccccc", owner: { kind: "ReplicaSet", name: "web-7f9b8c7d5" }, start: MID - 600, end: TO, containers: web(1, [WEB_SPIKE], newWeb) },
  { name: "web-7f9b8c7d5-ddddd", owner: { kind: "ReplicaSet", name: "web-7f9b8c7d5" }, start: MID - 600, end: TO, containers: web(2, [], newWeb) },
];

export const DB_RESTARTS: NonNullable<ScenarioContainer["restarts"]> = [
  { at: FROM - HOUR, reason: "OOMKilled", exitCode: 137 },
  { at: FROM + 10 * HOUR + 30, reason: "OOMKilled", exitCode: 137 },
  { at: FROM + 30 * HOUR + 30, reason: "Error", exitCode: 1 },
];

export const dbPod: ScenarioPod = {
  name: "db-0",
  owner: { kind: "StatefulSet", name: "db" },
  start: START,
  end: TO,
  containers: [
    {
      name: "postgres",
      cpu: { base: 1.2, amplitude: 0.6, periodSeconds: 12 * HOUR },
      memory: { base: 2 * GI, amplitude: 200 * MI, periodSeconds: 12 * HOUR },
      requests: { cpu: 1, memory: 2 * GI },
      limits: { cpu: 2, memory: 3 * GI },
      throttledRatio: 0.18,
      restarts: DB_RESTARTS,
    },
  ],
};

export const agentPods: ScenarioPod[] = [0.05, 0.08].map((base, index) => ({
  name: `node-agent-x${index + 1}`,
  owner: { kind: "DaemonSet", name: "node-agent" },
  start: START,
  end: TO,
  containers: [
    {
      name: "agent",
      cpu: { base, amplitude: base / 2, periodSeconds: 8 * HOUR, phaseSeconds: index * HOUR },
      memory: { base: (64 + 16 * index) * MI, amplitude: 4 * MI, periodSeconds: 8 * HOUR },
      requests: { cpu: 0.05, memory: 64 * MI },
    },
  ],
}));

/** Runs of the CronJob: every 4h from FROM + 1h, 20 minutes each; run index 5 fails; the last is still running. */
export const reportRuns = Array.from({ length: 12 }, (_, index) => {
  const start = FROM + HOUR + index * 4 * HOUR;
  const last = index === 11;
  return {
    index,
    job: `report-${28_900_000 + index * 240}`,
    start,
    end: last ? TO + 600 : start + 20 * 60,
    cpu: 0.8 + 0.05 * index,
    memory: 1 * GI + index * 10 * MI,
    outcome: (index === 5 ? "failed" : last ? "running" : "succeeded") as ScenarioJob["outcome"],
  };
});

const reportPods: ScenarioPod[] = reportRuns.map((run) => ({
  name: `${run.job}-q${run.index}x7`,
  owner: { kind: "Job", name: run.job },
  start: run.start,
  end: Math.min(run.end, TO),
  containers: [
    {
      name: "report",
      cpu: { base: run.cpu },
      memory: { base: run.memory },
      requests: { cpu: 1, memory: 2 * GI },
      restarts: run.outcome === "failed" ? [{ at: run.start + 600, reason: "Error", exitCode: 2 }] : [],
    },
  ],
}));

export const MIGRATE = { start: FROM + 2 * HOUR, end: FROM + 2 * HOUR + 30 * 60, cpu: 0.6, memory: 700 * MI };

const single = (name: string, owner: ScenarioPod["owner"], cpu: number, memory: number): ScenarioPod => ({
  name,
  owner,
  start: START,
  end: TO,
  containers: [{ name: "main", cpu: { base: cpu }, memory: { base: memory }, requests: { cpu: 0.1, memory: 128 * MI } }],
});

/** Runs of legacy/CronJob cleanup: every 6h from FROM + 30m, 10 minutes each; run index 3 fails; index 7 still runs at TO. */
export const cleanupRuns = Array.from({ length: 8 }, (_, index) => {
  const start = FROM + 1800 + index * 6 * HOUR;
  const last = index === 7;
  return {
    index,
    job: `cleanup-${29_000_000 + index * 360}`,
    start,
    end: last ? TO + 600 : start + 600,
    cpu: 0.2 + 0.01 * index,
    memory: 300 * MI + index * MI,
    outcome: (index === 3 ? "failed" : last ? "running" : "succeeded") as ScenarioJob["outcome"],
  };
});

const cleanupPods: ScenarioPod[] = cleanupRuns.map((run) => ({
  name: `${run.job}-c${run.index}z`,
  owner: { kind: "Job", name: run.job },
  start: run.start,
  end: Math.min(run.end, TO),
  containers: [
    {
      name: "cleanup",
      cpu: { base: run.cpu },
      memory: { base: run.memory },
      requests: { cpu: 0.5, memory: 512 * MI },
      restarts: run.outcome === "failed" ? [{ at: run.start + 300, reason: "Error", exitCode: 1 }] : [],
    },
  ],
}));

export const scenario: Scenario = {
  scrapeInterval: 60,
  start: START,
  end: TO,
  namespaces: [
    {
      name: "shop",
      replicaSets: [
        { name: "web-6d4cf56db6", owner: { kind: "Deployment", name: "web" } },
        { name: "web-7f9b8c7d5", owner: { kind: "Deployment", name: "web" } },
        { name: "canary-5c7d", owner: { kind: "Rollout", name: "canary" } },
        { name: "legacy-rs" },
      ],
      jobs: [
        ...reportRuns.map((run) => ({ name: run.job, cronJob: "report", start: run.start, end: run.end, outcome: run.outcome })),
        { name: "migrate", start: MIGRATE.start, end: MIGRATE.end, outcome: "succeeded" },
      ],
      hpas: [{ name: "web", target: { kind: "Deployment", name: "web" }, metrics: ["cpu"] }],
      pods: [
        ...webPods,
        dbPod,
        ...agentPods,
        ...reportPods,
        {
          name: "migrate-7wq2c",
          owner: { kind: "Job", name: "migrate" },
          start: MIGRATE.start,
          end: MIGRATE.end,
          containers: [{ name: "migrate", cpu: { base: MIGRATE.cpu }, memory: { base: MIGRATE.memory }, requests: { cpu: 0.5, memory: 1 * GI } }],
        },
        single("canary-5c7d-aaaaa", { kind: "ReplicaSet", name: "canary-5c7d" }, 0.15, 200 * MI),
        single("legacy-rs-zzzzz", { kind: "ReplicaSet", name: "legacy-rs" }, 0.05, 90 * MI),
        single("debug", { kind: "<none>", name: "<none>" }, 0.01, 10 * MI),
      ],
    },
    {
      name: "batch",
      replicaSets: [{ name: "worker-5f6d7c8b9", owner: { kind: "Deployment", name: "worker" } }],
      jobs: [],
      hpas: [],
      pods: [single("worker-5f6d7c8b9-mmmmm", { kind: "ReplicaSet", name: "worker-5f6d7c8b9" }, 0.25, 256 * MI)],
    },
    {
      name: "legacy",
      jobTimingMetrics: false,
      replicaSets: [],
      jobs: cleanupRuns.map((run) => ({ name: run.job, cronJob: "cleanup", start: run.start, end: run.end, outcome: run.outcome })),
      hpas: [],
      pods: cleanupPods,
    },
  ],
};
