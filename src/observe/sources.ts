import { readFile } from "node:fs/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { ExternalError, InputError, parseObservationSnapshotText, type ObservationQuery, type ObservationSnapshot, type WorkloadObservation } from "../domain/index.js";
import { isNamespaceSelected, type Policy } from "../policy/index.js";
import { discoverKubernetesNamespaces, isApiProblem, observeWithKubernetesApi } from "./kubernetes/index.js";
import { prometheusConnection, type PrometheusConnection } from "./connection.js";
import { discoverPrometheusNamespaces, observeWithPrometheus } from "./prometheus/source.js";
import { isoTime, parseInstant, type ObservationProblem } from "./request.js";
import { diagnosePrometheus, diagnoseWithoutStore, doctorFailure, doctorReport, type ClusterDiagnosis, type DoctorReport } from "./doctor.js";

/**
 * SPEC §4: every way rightsize observes a cluster is one ObservationSource, and `sourceFor` is
 * the one place that chooses it: a Prometheus-compatible store (Prometheus, Thanos, Mimir,
 * VictoriaMetrics, a managed Prometheus; one store may hold many clusters under a label),
 * metrics-server sampling through the Kubernetes API, or a snapshot replay. Callers never ask
 * which one they have.
 */
export interface ObservationSource {
  readonly kind: "prometheus" | "metrics-server" | "snapshot";
  readonly cluster: string;
  /** How messages that reach repositories name it, instead of its address. */
  readonly name: string;
  /** Texts that locate it (URLs, hosts, files, contexts): replaced by `name` in anything a repository sees. */
  readonly endpoints: readonly string[];
  /** The policy's workloads in this cluster; `at` ends the window (or starts sampling). */
  observe(policy: Policy, request: SourceRequest): Promise<SourceObservation>;
  /** `rightsize doctor`: which of the metrics rightsize reads the source has, and what the missing ones cost. */
  diagnose(request: DiagnoseRequest): Promise<ClusterDiagnosis>;
}

export interface DiagnoseRequest {
  at: string;
  windowSeconds: number;
  namespaces?: readonly string[] | undefined;
  env?: Record<string, string | undefined> | undefined;
}

/** `rightsize doctor` over several clusters: each through its own source. */
export async function diagnoseClusters(clusters: readonly ClusterConnection[], request: DiagnoseRequest, options: SourceOptions = {}): Promise<DoctorReport> {
  const diagnoses: ClusterDiagnosis[] = [];
  for (const [index, cluster] of clusters.entries()) diagnoses.push(await sourceFor(cluster, { ...options, field: options.field ?? `clusters[${index}]` }).diagnose(request));
  return doctorReport(request.at, diagnoses);
}

export interface SourceRequest {
  at: string;
  /** Overrides the policy's namespaces (selector.namespaces.allow, else every namespace with pods). */
  namespaces?: readonly string[] | undefined;
  onProgress?: ((message: string) => void) | undefined;
  onProblem: (problem: ObservationProblem) => void;
  /** Environment holding the credentials the connection names; default process.env. */
  env?: Record<string, string | undefined> | undefined;
}

export interface SourceObservation {
  workloads: WorkloadObservation[];
  queries: Record<string, ObservationQuery>;
  /** A replay: the time its snapshot was taken (a replay is evaluated at its own time). */
  createdAt?: string;
  problems?: ObservationProblem[];
}

/** Where a cluster is observed: a clusters-file entry, or a policy's `clusters[]` in the CLI. */
export interface ClusterConnection {
  name: string;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  prometheus?: PrometheusConnection | undefined;
  snapshot?: string | undefined;
}

export interface SourceOptions {
  /** Which live source the policy asks for when a cluster has both (default: Prometheus when it has one). */
  prefer?: "prometheus" | "metrics-server";
  /** For tests and embedding: the kubeconfig to reach the API with. */
  kubeconfig?: KubeConfig;
  /** Where the cluster was configured, for messages (`clusters[0]`). */
  field?: string;
  /** An operator's cluster without kubeconfig or context is the one rightsize runs in (its service account). */
  inCluster?: boolean;
}

/** The one place a cluster's source is chosen. */
export function sourceFor(cluster: ClusterConnection, options: SourceOptions = {}): ObservationSource {
  if (cluster.snapshot !== undefined) return new SnapshotSource(cluster.name, cluster.snapshot);
  if (cluster.prometheus && options.prefer !== "metrics-server") return new PrometheusSource(cluster.name, cluster.prometheus, options.field ?? `cluster "${cluster.name}"`);
  return new MetricsServerSource(cluster, options.kubeconfig, options.inCluster === true);
}

/** Replaces every endpoint of the sources in a text with the source's name (longest first). */
export function redactSourceEndpoints(sources: readonly ObservationSource[]): (text: string) => string {
  const endpoints = sources.flatMap((source) => source.endpoints.filter((text) => text.length > 0).map((text) => ({ text, name: source.name }))).sort((a, b) => b.text.length - a.text.length);
  return (text) => endpoints.reduce((result, endpoint) => result.split(endpoint.text).join(endpoint.name), text);
}

function selectNamespaces(policy: Policy, candidates: readonly string[]): string[] {
  return [...new Set(candidates.filter((namespace) => isNamespaceSelected(policy, namespace)))];
}

async function listed(discover: () => Promise<string[]>): Promise<string[]> {
  try {
    return await discover();
  } catch (error) {
    if (await isApiProblem(error)) {
      throw new ExternalError(`${(error as Error).message}; or name the namespaces in the policy (selector.namespaces.allow) or with --namespace`);
    }
    throw error;
  }
}

class PrometheusSource implements ObservationSource {
  readonly kind = "prometheus";
  readonly name: string;
  readonly endpoints: readonly string[];

  constructor(
    readonly cluster: string,
    private readonly connection: PrometheusConnection,
    private readonly field: string,
  ) {
    this.name = `the Prometheus of cluster "${cluster}"`;
    const url = new URL(connection.url);
    url.username = "";
    url.password = "";
    const base = url.toString().replace(/\/+$/, "");
    this.endpoints = [connection.url.replace(/\/+$/, ""), base, url.origin, url.host];
  }

  async observe(policy: Policy, request: SourceRequest): Promise<SourceObservation> {
    const to = parseInstant(request.at, "at");
    const window = { from: isoTime(to - policy.observe.window.seconds), to: request.at };
    const options = await prometheusConnection(this.connection, { cluster: this.cluster, env: request.env ?? process.env, field: `${this.field}.prometheus` });
    const namespaces = selectNamespaces(policy, request.namespaces ?? (await listed(() => discoverPrometheusNamespaces(options, window))));
    if (namespaces.length === 0) return { workloads: [], queries: {} };
    return observeWithPrometheus(options, { cluster: this.cluster, namespaces, window, onProgress: request.onProgress, onProblem: request.onProblem });
  }

  async diagnose(request: DiagnoseRequest): Promise<ClusterDiagnosis> {
    const options = await prometheusConnection(this.connection, { cluster: this.cluster, env: request.env ?? process.env, field: `${this.field}.prometheus` });
    return diagnosePrometheus(options, { cluster: this.cluster, at: request.at, windowSeconds: request.windowSeconds, ...(request.namespaces ? { namespaces: request.namespaces } : {}) });
  }
}

class MetricsServerSource implements ObservationSource {
  readonly kind = "metrics-server";
  readonly cluster: string;
  readonly name: string;
  readonly endpoints: readonly string[];

  constructor(
    private readonly connection: ClusterConnection,
    private readonly kubeconfig: KubeConfig | undefined,
    private readonly inCluster: boolean,
  ) {
    this.cluster = connection.name;
    this.name = `the Kubernetes API of cluster "${connection.name}"`;
    this.endpoints = [connection.kubeconfig ?? ""];
  }

  async observe(policy: Policy, request: SourceRequest): Promise<SourceObservation> {
    const kubeconfig = this.kubeconfig ?? (await this.loadKubeconfig());
    const connection = { ...(kubeconfig ? { kubeconfig } : {}), ...(this.connection.context ? { context: this.connection.context } : {}) };
    const namespaces = selectNamespaces(policy, request.namespaces ?? (await listed(() => discoverKubernetesNamespaces(connection))));
    if (namespaces.length === 0) return { workloads: [], queries: {} };
    const sampling = { intervalSeconds: policy.observe.sampling.interval.seconds, durationSeconds: policy.observe.sampling.duration.seconds };
    const workloads = await observeWithKubernetesApi(connection, { cluster: this.cluster, namespaces, sampling, at: request.at, onProgress: request.onProgress, onProblem: request.onProblem });
    return { workloads, queries: {} };
  }

  async diagnose(request: DiagnoseRequest): Promise<ClusterDiagnosis> {
    try {
      const kubeconfig = this.kubeconfig ?? (await this.loadKubeconfig());
      await discoverKubernetesNamespaces({ ...(kubeconfig ? { kubeconfig } : {}), ...(this.connection.context ? { context: this.connection.context } : {}) });
      return diagnoseWithoutStore(this.cluster, "metrics-server", request.at);
    } catch (error) {
      return diagnoseWithoutStore(this.cluster, "metrics-server", request.at, doctorFailure(error));
    }
  }

  /** A clusters-file entry names its kubeconfig, or a context of the default one, or nothing (in-cluster); a policy's cluster uses the default. */
  private async loadKubeconfig(): Promise<KubeConfig | undefined> {
    if (!this.connection.kubeconfig && (this.connection.context || !this.inCluster)) return undefined;
    const { KubeConfig } = await import("@kubernetes/client-node");
    const kubeconfig = new KubeConfig();
    if (this.connection.kubeconfig) kubeconfig.loadFromFile(this.connection.kubeconfig);
    else kubeconfig.loadFromCluster();
    return kubeconfig;
  }
}

class SnapshotSource implements ObservationSource {
  readonly kind = "snapshot";
  readonly name: string;
  readonly endpoints: readonly string[];

  constructor(
    readonly cluster: string,
    private readonly file: string,
  ) {
    this.name = `the snapshot of cluster "${cluster}"`;
    this.endpoints = [file];
  }

  async diagnose(request: DiagnoseRequest): Promise<ClusterDiagnosis> {
    return diagnoseWithoutStore(this.cluster, "snapshot", request.at);
  }

  async observe(): Promise<SourceObservation> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      throw new InputError(`cluster "${this.cluster}": cannot read its snapshot ${this.file} (${(error as NodeJS.ErrnoException).code ?? "unreadable"}); fix the clusters file`);
    }
    const snapshot: ObservationSnapshot = parseObservationSnapshotText(text, this.file);
    // A snapshot records the cluster name it was taken with; the operator's name is the one that counts.
    return {
      workloads: snapshot.workloads.map((observation) => ({ ...observation, workload: { ...observation.workload, cluster: this.cluster } })),
      queries: snapshot.queries ?? {},
      createdAt: snapshot.createdAt,
      problems: snapshot.problems ?? [],
    };
  }
}
