import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { startLoopbackServer, type LoopbackServer, type RecordedRequest, type Reply } from "./http.js";

/**
 * A loopback Kubernetes API serving fixture objects to the real @kubernetes/client-node: the list
 * endpoints rightsize reads, with `limit`/`continue` paging and metrics.k8s.io pod metrics. Tests
 * change objects between samples and override any path to answer errors.
 */

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface PodMetricsSample {
  /** Pod name → container name → usage (Kubernetes quantities). */
  [pod: string]: Record<string, { cpu: string; memory: string }>;
}

export interface FakeCluster {
  server: LoopbackServer;
  objects: KubernetesObject[];
  /** Pod metrics for the n-th metrics request of a namespace (n counts from 0). */
  metrics: (namespace: string, sample: number) => PodMetricsSample | undefined;
  /** Called before answering; a Reply replaces the normal answer. */
  override: (request: RecordedRequest) => Reply | undefined;
  /** Items per page even when the client asks for more (to exercise paging). */
  pageSize: number;
  metricsRequests: Map<string, number>;
  kubeconfig(): KubeConfig;
  stop(): Promise<void>;
}

const RESOURCES: Record<string, { prefix: string; kind: string }> = {
  deployments: { prefix: "/apis/apps/v1", kind: "Deployment" },
  statefulsets: { prefix: "/apis/apps/v1", kind: "StatefulSet" },
  daemonsets: { prefix: "/apis/apps/v1", kind: "DaemonSet" },
  replicasets: { prefix: "/apis/apps/v1", kind: "ReplicaSet" },
  jobs: { prefix: "/apis/batch/v1", kind: "Job" },
  cronjobs: { prefix: "/apis/batch/v1", kind: "CronJob" },
  pods: { prefix: "/api/v1", kind: "Pod" },
  horizontalpodautoscalers: { prefix: "/apis/autoscaling/v2", kind: "HorizontalPodAutoscaler" },
  rollouts: { prefix: "/apis/argoproj.io/v1alpha1", kind: "Rollout" },
};

export function loadFixtureObjects(...files: string[]): KubernetesObject[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(`../fixtures/kubernetes/${file}`, import.meta.url), "utf8"))
      .map((document) => document.toJS() as KubernetesObject | null)
      .filter((object): object is KubernetesObject => object !== null),
  );
}

export async function startFakeCluster(objects: KubernetesObject[]): Promise<FakeCluster> {
  const cluster: FakeCluster = {
    server: undefined as unknown as LoopbackServer,
    objects,
    metrics: () => undefined,
    override: () => undefined,
    pageSize: 500,
    metricsRequests: new Map(),
    kubeconfig() {
      const kubeconfig = new KubeConfig();
      kubeconfig.loadFromOptions({
        clusters: [{ name: "loopback", server: cluster.server.url, skipTLSVerify: true }],
        users: [{ name: "reader", token: "reader-token" }],
        contexts: [{ name: "loopback-context", cluster: "loopback", user: "reader" }],
        currentContext: "loopback-context",
      });
      return kubeconfig;
    },
    stop: () => cluster.server.stop(),
  };
  cluster.server = await startLoopbackServer((request) => cluster.override(request) ?? answer(cluster, request));
  return cluster;
}

function answer(cluster: FakeCluster, request: RecordedRequest): Reply {
  const path = request.url.pathname;
  if (path === "/api/v1/namespaces") {
    const names = [...new Set(cluster.objects.flatMap((object) => (object.metadata.namespace ? [object.metadata.namespace] : [])))].sort();
    return list(cluster, request, "Namespace", names.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })));
  }
  const metrics = /^\/apis\/metrics\.k8s\.io\/v1beta1\/namespaces\/([^/]+)\/pods$/.exec(path);
  if (metrics) {
    const namespace = metrics[1]!;
    const sample = cluster.metricsRequests.get(namespace) ?? 0;
    cluster.metricsRequests.set(namespace, sample + 1);
    const usage = cluster.metrics(namespace, sample) ?? {};
    const items = Object.entries(usage).map(([pod, containers]) => ({
      metadata: { name: pod, namespace },
      timestamp: new Date().toISOString(),
      window: "15s",
      containers: Object.entries(containers).map(([name, value]) => ({ name, usage: value })),
    }));
    return list(cluster, request, "PodMetrics", items);
  }
  const match = /^(\/apis?\/.+?)\/namespaces\/([^/]+)\/([a-z]+)$/.exec(path);
  const resource = match ? RESOURCES[match[3]!] : undefined;
  if (!match || !resource || resource.prefix !== match[1]) {
    return { status: 404, body: JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: `the server could not find the requested resource (${path})` }) };
  }
  const namespace = match[2]!;
  const selector = request.url.searchParams.get("labelSelector");
  const items = cluster.objects.filter((object) => {
    if (object.kind !== resource.kind || object.metadata.namespace !== namespace) return false;
    if (!selector) return true;
    const labels = (object.metadata.labels ?? {}) as Record<string, string>;
    return selector.split(",").every((term) => {
      const [key, value] = term.split("=");
      return labels[key!] === value;
    });
  });
  return list(cluster, request, resource.kind, items);
}

function list(cluster: FakeCluster, request: RecordedRequest, kind: string, items: unknown[]): Reply {
  const limit = Math.min(Number(request.url.searchParams.get("limit") ?? Infinity), cluster.pageSize);
  const offset = Number(Buffer.from(request.url.searchParams.get("continue") ?? "", "base64").toString() || "0");
  const page = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? Buffer.from(String(offset + limit)).toString("base64") : undefined;
  return {
    status: 200,
    body: JSON.stringify({ apiVersion: "v1", kind: `${kind}List`, metadata: { resourceVersion: "1", ...(next ? { continue: next } : {}) }, items: page }),
  };
}

export function status(code: number, message: string): Reply {
  const reason = code === 403 ? "Forbidden" : code === 404 ? "NotFound" : "InternalError";
  return { status: code, body: JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason, code, message }) };
}
