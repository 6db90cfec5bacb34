import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { rightsize } from "../helpers/cli.js";
import { percentile } from "../helpers/reference-percentile.js";
import { ExternalError, InputError, ObservationSnapshotSchema, parseObservationSnapshotText, type WorkloadObservation } from "../../src/domain/index.js";
import { buildSnapshot, observeForPolicy, observeWithKubernetesApi, type KubernetesRequest, type ObservationProblem } from "../../src/observe/index.js";
import { loadPolicy } from "../../src/policy/index.js";
import { freePort } from "../helpers/prometheus.js";
import { loadFixtureObjects, startFakeCluster, status, type FakeCluster, type KubernetesObject } from "../helpers/kubernetes-api.js";
import { withoutInterception } from "../helpers/network.js";

withoutInterception();

const MI = 1024 * 1024;
const AT = "2025-01-03T00:00:00.000Z";

let cluster: FakeCluster;

beforeAll(async () => {
  cluster = await startFakeCluster(loadFixtureObjects("shop.yaml", "batch.yaml"));
});
afterAll(async () => {
  await cluster?.stop();
});
afterEach(() => {
  cluster.override = () => undefined;
  cluster.metrics = () => undefined;
  cluster.pageSize = 500;
  cluster.metricsRequests.clear();
  cluster.server.requests.length = 0;
});

const connection = () => ({ kubeconfig: cluster.kubeconfig(), retries: 1, retryDelayMilliseconds: 10 });
const request = (extra: Partial<KubernetesRequest> = {}): KubernetesRequest => ({ cluster: "prod", namespaces: ["shop", "batch"], at: AT, ...extra });

function find(observations: WorkloadObservation[], kind: string, name: string): WorkloadObservation {
  const found = observations.find((observation) => observation.workload.kind === kind && observation.workload.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
}

describe("observeWithKubernetesApi reading the API state", () => {
  it("finds workloads through owner references: Deployment → ReplicaSet → Pod, Rollout, CronJob, bare ReplicaSet and Job; a bare pod is not a workload", async () => {
    const observed = await observeWithKubernetesApi(connection(), request());
    expect(observed.map((o) => `${o.workload.namespace}/${o.workload.kind}/${o.workload.name}:${o.pods}`)).toEqual([
      "shop/CronJob/report:1",
      "shop/DaemonSet/node-agent:2",
      "shop/Deployment/web:2",
      "shop/Job/migrate:1",
      "shop/ReplicaSet/legacy-rs:1",
      "shop/Rollout/canary:1",
      "shop/StatefulSet/db:1",
      "batch/Deployment/worker:1",
    ]);
    const web = find(observed, "Deployment", "web");
    expect(web.source).toBe("kubernetes-api");
    expect(web.mode).toBe("continuous");
    expect(find(observed, "CronJob", "report").mode).toBe("run-based");
    expect(web.window).toEqual({ from: AT, to: AT });
    expect(web.coverage).toBe(0);
    expect(web.containers.map((c) => [c.name, c.current, c.cpu])).toEqual([
      ["app", { requests: { cpu: "400m", memory: "640Mi" }, limits: { memory: "1Gi" } }, undefined],
      ["istio-proxy", { requests: { cpu: "100m", memory: "128Mi" }, limits: {} }, undefined],
    ]);
  });

  it("reads OOM kills and restarts from container statuses", async () => {
    const observed = await observeWithKubernetesApi(connection(), request({ namespaces: ["shop"] }));
    const app = find(observed, "Deployment", "web").containers.find((c) => c.name === "app")!;
    expect(app.oomKills).toEqual([{ at: "2025-01-02T10:00:00.000Z", pod: "web-7f9b8c7d5-ccccc" }]);
    expect(app.restarts).toBe(1);
    const postgres = find(observed, "StatefulSet", "db").containers[0]!;
    expect([postgres.restarts, postgres.oomKills]).toEqual([3, []]);
    expect(find(observed, "Job", "migrate").containers[0]!.oomKills).toEqual([{ at: "2025-01-01T02:10:00.000Z", pod: "migrate-7wq2c" }]);
  });

  it("marks CPU throttling unknown under a CPU limit (metrics-server reports none), and measured 0% without one", async () => {
    const observed = await observeWithKubernetesApi(connection(), request({ namespaces: ["shop"] }));
    expect(find(observed, "StatefulSet", "db").containers[0]!.unknown).toEqual({ throttling: "container_cpu_cfs_throttled_periods_total" });
    expect(find(observed, "Deployment", "web").containers.find((c) => c.name === "app")!.unknown).toBeUndefined();
  });

  it("reports the HPA targeting the Deployment with its metrics", async () => {
    const observed = await observeWithKubernetesApi(connection(), request({ namespaces: ["shop"] }));
    expect(find(observed, "Deployment", "web").hpa).toEqual({ name: "web", metrics: ["cpu", "requests_per_second"] });
    expect(find(observed, "StatefulSet", "db").hpa).toBeUndefined();
  });

  it("pages through every list with limit and continue", async () => {
    cluster.pageSize = 2;
    const observed = await observeWithKubernetesApi(connection(), request({ namespaces: ["shop"] }));
    expect(find(observed, "DaemonSet", "node-agent").pods).toBe(2);
    expect(find(observed, "Deployment", "web").pods).toBe(2);
    const podPages = cluster.server.requests.filter((r) => r.url.pathname === "/api/v1/namespaces/shop/pods");
    // 9 pods at 2 per page.
    expect(podPages.map((r) => r.url.searchParams.get("continue") !== null)).toEqual([false, true, true, true, true]);
    expect(podPages.every((r) => r.url.searchParams.get("limit") === "500")).toBe(true);
  });

  it("sends the kubeconfig's credentials", async () => {
    await observeWithKubernetesApi(connection(), request({ namespaces: ["batch"] }));
    expect(cluster.server.requests[0]!.headers.authorization).toBe("Bearer reader-token");
  });

  it("builds a snapshot that validates against the published schema", async () => {
    const snapshot = buildSnapshot(await observeWithKubernetesApi(connection(), request()), AT);
    expect(ObservationSnapshotSchema.parse(JSON.parse(JSON.stringify(snapshot)))).toEqual(snapshot);
  });
});

describe("metrics-server sampling", () => {
  it("takes the busiest replica at each sample and the exact peak memory", async () => {
    cluster.metrics = (namespace, sample) =>
      namespace === "shop"
        ? {
            "web-7f9b8c7d5-ccccc": { app: { cpu: `${100 + 10 * sample}m`, memory: "300Mi" }, "istio-proxy": { cpu: "20m", memory: "60Mi" } },
            "web-7f9b8c7d5-ddddd": { app: { cpu: "150m", memory: `${280 + 7 * sample}Mi` }, "istio-proxy": { cpu: "25000000n", memory: "61440Ki" } },
          }
        : undefined;
    const observed = await observeWithKubernetesApi(connection(), request({ namespaces: ["shop"], sampling: { intervalSeconds: 0.05, durationSeconds: 0.4 } }));
    const web = find(observed, "Deployment", "web");
    const app = web.containers.find((c) => c.name === "app")!;
    const samples = app.cpu!.samples;
    expect(samples).toBeGreaterThanOrEqual(3);
    expect(cluster.metricsRequests.get("shop")).toBe(samples);
    // Sample k: pod ccccc uses 100 + 10k millicores, pod ddddd 150; the busier one counts.
    const cpu = Array.from({ length: samples }, (_, k) => Math.max(0.1 + 0.01 * k, 0.15));
    expect(app.cpu!.p95).toBeCloseTo(percentile(cpu, 0.95), 9);
    expect(app.cpu!.p50).toBeCloseTo(percentile(cpu, 0.5), 9);
    expect(app.cpu!.max).toBeCloseTo(Math.max(...cpu), 9);
    // Memory: ccccc 300Mi, ddddd 280Mi + 7Mi per sample.
    expect(app.memory!.max).toBe(Math.max(300, 280 + 7 * (samples - 1)) * MI);
    const proxy = web.containers.find((c) => c.name === "istio-proxy")!;
    expect([proxy.cpu!.max, proxy.memory!.max]).toEqual([0.025, 61440 * 1024]);
    expect(web.source).toBe("metrics-server");
    expect(web.coverage).toBe(Math.min(1, (samples * 0.05) / 0.4));
    expect(Date.parse(web.window.to) - Date.parse(web.window.from)).toBeGreaterThanOrEqual(400);
    expect(find(observed, "StatefulSet", "db").containers[0]!.cpu).toBeUndefined();
    expect(app.series?.step).toBe("1m");
  });

  it("stops sampling when the signal is aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const progress: string[] = [];
    await observeWithKubernetesApi(connection(), request({ namespaces: ["batch"], sampling: { intervalSeconds: 0.05, durationSeconds: 60, signal: controller.signal }, onProgress: (m) => progress.push(m) }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(progress.at(-1)).toMatch(/^sampling cancelled after \d+ samples$/);
  });

  it("refuses unbounded sampling", async () => {
    await expect(observeWithKubernetesApi(connection(), request({ sampling: { intervalSeconds: 0, durationSeconds: 60 } }))).rejects.toThrow(/sample interval must be more than 0 seconds/);
    await expect(observeWithKubernetesApi(connection(), request({ sampling: { intervalSeconds: 15, durationSeconds: 2 * 86_400 } }))).rejects.toThrow(/sample duration must be between 0 and 24h/);
    await expect(observeWithKubernetesApi(connection(), request({ sampling: { intervalSeconds: 0.001, durationSeconds: 3600 } }))).rejects.toThrow(/more than 10000 samples/);
  });

  it("gives every workload the reason when metrics-server is not installed", async () => {
    cluster.override = (r) => (r.url.pathname.startsWith("/apis/metrics.k8s.io/") ? status(404, "the server could not find the requested resource") : undefined);
    const observed = await observeWithKubernetesApi(connection(), request({ namespaces: ["batch"], sampling: { intervalSeconds: 0.05, durationSeconds: 0.1 } }));
    expect(observed[0]!.problems).toEqual(["cannot read pod metrics (metrics.k8s.io) in batch: not found (404): metrics-server is not installed; install it or observe through Prometheus"]);
    expect(observed[0]!.containers[0]!.cpu).toBeUndefined();
  });
});

describe("live runs of a CronJob (--runs)", () => {
  let night: FakeCluster;
  afterEach(async () => {
    await night?.stop();
  });

  const cronJob: KubernetesObject = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "nightly", namespace: "night", uid: "cj-nightly" },
    spec: { schedule: "0 1 * * *", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "export", image: "export:1", resources: { requests: { cpu: "1", memory: "1Gi" } } }] } } } } },
  };

  function job(name: string, start: string, outcome?: { type: "Complete" | "Failed"; at: string }): KubernetesObject {
    return {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name, namespace: "night", ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "nightly", uid: "cj-nightly", controller: true }] },
      spec: { template: { spec: { containers: [{ name: "export", image: "export:1" }] } } },
      status: {
        startTime: start,
        ...(outcome?.type === "Complete" ? { completionTime: outcome.at, succeeded: 1 } : outcome ? { failed: 1 } : { active: 1 }),
        ...(outcome ? { conditions: [{ type: outcome.type, status: "True", lastTransitionTime: outcome.at }] } : {}),
      },
    };
  }

  function pod(jobName: string, exitCode?: number): KubernetesObject {
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `${jobName}-p`, namespace: "night", labels: { "job-name": jobName }, ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: jobName, uid: `j-${jobName}`, controller: true }] },
      spec: { containers: [{ name: "export", image: "export:1" }] },
      status: {
        phase: exitCode === undefined ? "Running" : exitCode === 0 ? "Succeeded" : "Failed",
        containerStatuses: [
          {
            name: "export",
            image: "export:1",
            imageID: "",
            ready: exitCode === undefined,
            restartCount: 0,
            state: exitCode === undefined ? { running: {} } : { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error" } },
          },
        ],
      },
    };
  }

  function replace(objects: KubernetesObject[], ...updated: KubernetesObject[]): void {
    for (const object of updated) {
      const index = objects.findIndex((candidate) => candidate.kind === object.kind && candidate.metadata.name === object.metadata.name);
      if (index >= 0) objects[index] = object;
      else objects.push(object);
    }
  }

  it("samples each run from start to end and ignores the run that had finished before", async () => {
    night = await startFakeCluster([
      cronJob,
      job("nightly-0", "2025-01-02T01:00:00Z", { type: "Complete", at: "2025-01-02T01:04:00Z" }),
      pod("nightly-0", 0),
      job("nightly-1", "2025-01-03T01:00:00Z"),
      pod("nightly-1"),
    ]);
    // Sample k answers usage, then moves the cluster on; the next sample's Job list sees the change.
    const script: Array<{ usage: Record<string, Record<string, { cpu: string; memory: string }>>; then?: KubernetesObject[] }> = [
      { usage: { "nightly-1-p": { export: { cpu: "200m", memory: "100Mi" } } } },
      {
        usage: { "nightly-1-p": { export: { cpu: "300m", memory: "150Mi" } } },
        then: [job("nightly-1", "2025-01-03T01:00:00Z", { type: "Complete", at: "2025-01-03T01:05:00Z" }), pod("nightly-1", 0), job("nightly-2", "2025-01-04T01:00:00Z"), pod("nightly-2")],
      },
      { usage: { "nightly-2-p": { export: { cpu: "500m", memory: "200Mi" } } }, then: [job("nightly-2", "2025-01-04T01:00:00Z", { type: "Failed", at: "2025-01-04T01:02:00Z" }), pod("nightly-2", 3)] },
      { usage: {}, then: [job("nightly-3", "2025-01-05T01:00:00Z"), pod("nightly-3")] },
      { usage: { "nightly-3-p": { export: { cpu: "250m", memory: "120Mi" } } }, then: [job("nightly-3", "2025-01-05T01:00:00Z", { type: "Complete", at: "2025-01-05T01:10:00Z" }), pod("nightly-3", 0)] },
    ];
    night.metrics = (_, sample) => {
      const step = script[sample];
      if (!step) return {};
      replace(night.objects, ...(step.then ?? []));
      return step.usage;
    };
    const [observed] = await observeWithKubernetesApi(
      { kubeconfig: night.kubeconfig() },
      { cluster: "prod", namespaces: ["night"], at: AT, sampling: { intervalSeconds: 0.05, durationSeconds: 0 }, runs: { count: 3, runTimeoutSeconds: 3600, totalTimeoutSeconds: 30 } },
    );
    expect(observed!.workload).toEqual({ cluster: "prod", namespace: "night", kind: "CronJob", name: "nightly" });
    expect(observed!.runs).toEqual([
      { run: "nightly-1", startedAt: "2025-01-03T01:00:00.000Z", durationSeconds: 300, exitCode: 0, succeeded: true, containers: { export: { cpuPeak: 0.3, memoryPeak: 150 * MI } } },
      { run: "nightly-2", startedAt: "2025-01-04T01:00:00.000Z", durationSeconds: 120, exitCode: 3, succeeded: false, containers: { export: { cpuPeak: 0.5, memoryPeak: 200 * MI } } },
      { run: "nightly-3", startedAt: "2025-01-05T01:00:00.000Z", durationSeconds: 600, exitCode: 0, succeeded: true, containers: { export: { cpuPeak: 0.25, memoryPeak: 120 * MI } } },
    ]);
    expect(observed!.problems).toEqual([]);
    // The sixth sample's Job list closes the third run; then observation ends.
    expect(night.metricsRequests.get("night")).toBe(6);
  });

  it("closes a run that outlives the run timeout as not succeeded", async () => {
    night = await startFakeCluster([cronJob, job("nightly-9", "2025-01-03T01:00:00Z"), pod("nightly-9")]);
    night.metrics = () => ({ "nightly-9-p": { export: { cpu: "100m", memory: "10Mi" } } });
    const [observed] = await observeWithKubernetesApi(
      { kubeconfig: night.kubeconfig() },
      { cluster: "prod", namespaces: ["night"], at: AT, sampling: { intervalSeconds: 0.05, durationSeconds: 0 }, runs: { count: 1, runTimeoutSeconds: 0.2, totalTimeoutSeconds: 10 } },
    );
    expect(observed!.runs?.map((run) => [run.run, run.succeeded, run.exitCode, run.containers])).toEqual([["nightly-9", false, null, { export: { cpuPeak: 0.1, memoryPeak: 10 * MI } }]]);
    expect(observed!.problems).toEqual(["run nightly-9 was still running after the run timeout (0.2s); counted as not succeeded"]);
  });

  it("stops at the total timeout and says how many runs it saw", async () => {
    night = await startFakeCluster([cronJob]);
    const started = Date.now();
    const [observed] = await observeWithKubernetesApi(
      { kubeconfig: night.kubeconfig() },
      { cluster: "prod", namespaces: ["night"], at: AT, sampling: { intervalSeconds: 0.05, durationSeconds: 0 }, runs: { count: 2, runTimeoutSeconds: 3600, totalTimeoutSeconds: 0.3 } },
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(observed!.runs).toEqual([]);
    expect(observed!.problems).toEqual(["observed 0 of 2 runs before the total timeout (0.3s)"]);
  });
});

describe("observeWithKubernetesApi when the API fails", () => {
  it("fails as a whole when nothing listens at the server address", async () => {
    const port = await freePort();
    const kubeconfig = cluster.kubeconfig();
    kubeconfig.clusters[0] = { ...kubeconfig.clusters[0]!, server: `http://127.0.0.1:${port}` };
    const failure = observeWithKubernetesApi({ kubeconfig, retries: 1, retryDelayMilliseconds: 10 }, request());
    await expect(failure).rejects.toThrow(ExternalError);
    await expect(failure).rejects.toThrow(/failed while reading .* in shop: .*ECONNREFUSED.* \(2 attempts\); check the context/);
  });

  it("retries a 500 and fails as a whole when it persists", async () => {
    cluster.override = (r) => (r.url.pathname.endsWith("/deployments") ? status(500, "etcd leader changed") : undefined);
    await expect(observeWithKubernetesApi(connection(), request())).rejects.toThrow(/failed while reading deployments in shop: HTTP 500 \(etcd leader changed\) \(2 attempts\)/);
    expect(cluster.server.requests.filter((r) => r.url.pathname === "/apis/apps/v1/namespaces/shop/deployments")).toHaveLength(2);
  });

  it("fails as a whole on malformed JSON", async () => {
    cluster.override = (r) => (r.url.pathname.endsWith("/deployments") ? { status: 200, body: "<html>proxy login</html>" } : undefined);
    await expect(observeWithKubernetesApi(connection(), request())).rejects.toThrow(/answered malformed JSON while reading deployments in shop/);
  });

  it("fails as a whole on 401", async () => {
    cluster.override = () => status(401, "Unauthorized");
    await expect(observeWithKubernetesApi(connection(), request())).rejects.toThrow(/rejected the credentials \(401\)/);
  });

  it("turns a 403 on listing one kind into a namespace problem and observes the rest", async () => {
    cluster.override = (r) => (r.url.pathname === "/apis/apps/v1/namespaces/shop/statefulsets" ? status(403, 'statefulsets.apps is forbidden: User "reader" cannot list resource "statefulsets"') : undefined);
    const problems: ObservationProblem[] = [];
    const observed = await observeWithKubernetesApi(connection(), request({ onProblem: (problem) => problems.push(problem) }));
    expect(problems).toEqual([
      {
        cluster: "prod",
        namespace: "shop",
        message: 'cannot read statefulsets in shop: forbidden (403: statefulsets.apps is forbidden: User "reader" cannot list resource "statefulsets"); grant get/list/watch on it (SPEC §10 ClusterRole)',
      },
    ]);
    expect(observed.some((o) => o.workload.kind === "StatefulSet")).toBe(false);
    expect(observed).toHaveLength(7);
  });

  it("throws the namespace problem when nobody collects problems", async () => {
    cluster.override = (r) => (r.url.pathname.endsWith("/statefulsets") ? status(403, "forbidden") : undefined);
    await expect(observeWithKubernetesApi(connection(), request())).rejects.toThrow(ExternalError);
  });

  it("gives every workload of the namespace the reason when pods cannot be listed (403)", async () => {
    cluster.override = (r) => (r.url.pathname === "/api/v1/namespaces/batch/pods" ? status(403, "pods is forbidden") : undefined);
    const observed = await observeWithKubernetesApi(connection(), request({ namespaces: ["batch"] }));
    expect(observed[0]!.problems).toEqual(["cannot read pods in batch: forbidden (403: pods is forbidden); grant get/list/watch on it (SPEC §10 ClusterRole)"]);
    expect(observed[0]!.pods).toBe(0);
  });

  it("gives every workload the reason when reading HPAs times out", async () => {
    cluster.override = (r) => (r.url.pathname.endsWith("/horizontalpodautoscalers") ? { ...status(200, ""), body: '{"items":[]}', delayMilliseconds: 3000 } : undefined);
    const observed = await observeWithKubernetesApi({ ...connection(), timeoutSeconds: 0.3, retries: 0 }, request({ namespaces: ["batch"] }));
    expect(observed[0]!.problems).toEqual([
      "cannot read horizontalpodautoscalers in batch: timed out after 0.3s (1 attempts) (an HPA on CPU or memory would conflict with a new request)",
    ]);
  });

  it("names the known contexts when the requested one does not exist", async () => {
    const failure = observeWithKubernetesApi({ kubeconfig: cluster.kubeconfig(), context: "prod-eu" }, request());
    await expect(failure).rejects.toThrow(InputError);
    await expect(failure).rejects.toThrow('kubeconfig has no context "prod-eu"; known contexts: loopback-context');
  });
});

describe("rightsize snapshot --context", () => {
  let directory: string;
  let kubeconfigFile: string;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-kube-"));
    kubeconfigFile = path.join(directory, "kubeconfig.yaml");
    await writeFile(kubeconfigFile, cluster.kubeconfig().exportConfig());
  });
  afterAll(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  const cli = (args: string[]) => rightsize(...args);


  it("samples metrics-server through the context and writes the snapshot", async () => {
    cluster.metrics = (namespace) => (namespace === "batch" ? { "worker-5f6d7c8b9-mmmmm": { main: { cpu: "250m", memory: "256Mi" } } } : undefined);
    const output = path.join(directory, "batch.json");
    const result = await cli([
      "snapshot", "--kubeconfig", kubeconfigFile, "--context", "loopback-context", "--namespace", "batch", "--cluster", "prod",
      "--sample-interval", "1s", "--sample-duration", "1s", "--at", AT, "--output", output,
    ]);
    expect(result.stderr).toContain("rightsize: 1 workload observed; wrote");
    expect(result.status).toBe(0);
    const written = parseObservationSnapshotText(await readFile(output, "utf8"));
    const worker = written.workloads[0]!;
    expect([worker.workload, worker.source, worker.containers[0]!.cpu?.max, worker.containers[0]!.memory?.max]).toEqual([
      { cluster: "prod", namespace: "batch", kind: "Deployment", name: "worker" },
      "metrics-server",
      0.25,
      256 * MI,
    ]);
  });

  it("reads only the API state with --sample-duration 0 and records namespace problems in the snapshot", async () => {
    cluster.override = (r) => (r.url.pathname === "/apis/apps/v1/namespaces/shop/daemonsets" ? status(403, "daemonsets.apps is forbidden") : undefined);
    const result = await cli(["snapshot", "--kubeconfig", kubeconfigFile, "--namespace", "shop", "--sample-duration", "0", "--at", AT]);
    expect(result.status).toBe(0);
    const printed = parseObservationSnapshotText(result.stdout);
    expect(printed.workloads.every((o) => o.source === "kubernetes-api")).toBe(true);
    expect(printed.problems).toEqual([
      { cluster: "default", namespace: "shop", message: "cannot read daemonsets in shop: forbidden (403: daemonsets.apps is forbidden); grant get/list/watch on it (SPEC §10 ClusterRole)" },
    ]);
    expect(result.stderr).toContain("rightsize: default/shop: cannot read daemonsets in shop: forbidden");
  });

  it("exits 3 when nothing at all could be observed", async () => {
    cluster.override = (r) => (r.url.pathname.startsWith("/apis/") && r.url.pathname.includes("/namespaces/batch/") ? status(403, "forbidden") : undefined);
    const result = await cli(["snapshot", "--kubeconfig", kubeconfigFile, "--namespace", "batch", "--sample-duration", "0", "--at", AT]);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("rightsize: nothing could be observed:\n  cannot read deployments in batch: forbidden (403: forbidden)");
  });

  it.each([
    [["snapshot", "--namespace", "shop", "--window", "7d"], "--window applies to --prometheus"],
    [["snapshot", "--namespace", "shop", "--runs", "0"], '--runs: "0" is not a whole number of at least 1'],
    [["snapshot", "--namespace", "shop", "--sample-interval", "0"], "--sample-interval must be longer than 0"],
  ])("exits 2 on bad flags: %j", async (args, message) => {
    const result = await cli([...args, "--kubeconfig", kubeconfigFile]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe("observeForPolicy with metrics-server", () => {
  it("samples each policy cluster through its kubeconfig context for the policy's sampling duration", async () => {
    cluster.metrics = (namespace) => (namespace === "batch" ? { "worker-5f6d7c8b9-mmmmm": { main: { cpu: "120m", memory: "200Mi" } } } : undefined);
    const policy = loadPolicy({
      path: ".github/rightsize.yml",
      text: "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nclusters:\n  - {name: edge, context: loopback-context}\nobserve:\n  source: metrics-server\n  sampling: {interval: 1s, duration: 1s}\nselector:\n  namespaces: {deny: [kube-system, shop]}\n",
    }).policy;
    const snapshot = await observeForPolicy(policy, { at: AT, kubeconfig: cluster.kubeconfig() });
    expect(snapshot.workloads.map((o) => [o.workload.cluster, o.workload.namespace, o.workload.name, o.source, o.containers[0]!.cpu?.max])).toEqual([
      ["edge", "batch", "worker", "metrics-server", 0.12],
    ]);
    // Namespaces came from the API (shop and batch), shop is denied.
    expect(cluster.server.requests.some((r) => r.url.pathname === "/api/v1/namespaces")).toBe(true);
    expect(cluster.server.requests.some((r) => r.url.pathname.includes("/namespaces/shop/"))).toBe(false);
  });
});
