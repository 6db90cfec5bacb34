import type { KubeConfig } from "@kubernetes/client-node";
import { ExternalError, InputError, UsageError, type ObservationQuery, type ObservationSnapshot, type WorkloadObservation } from "../domain/index.js";
import { isNamespaceSelected, isWorkloadSelected, type Policy } from "../policy/index.js";
import { ApiProblem } from "./kubernetes/api.js";
import { discoverKubernetesNamespaces, observeWithKubernetesApi } from "./kubernetes/source.js";
import type { PrometheusSourceOptions } from "./prometheus/client.js";
import { discoverPrometheusNamespaces, observeWithPrometheus } from "./prometheus/source.js";
import { isoTime, parseInstant, type ObservationProblem } from "./request.js";
import { buildSnapshot } from "./snapshot.js";

export interface PolicyObservationRequest {
  /** Overrides the policy's namespaces (selector.namespaces.allow, else every namespace with pods). */
  namespaces?: string[];
  /** End of the window (Prometheus) or start of sampling (metrics-server). */
  at: string;
  onProgress?: (message: string) => void;
  /** For tests and embedding; default: the kubeconfig from the environment. */
  kubeconfig?: KubeConfig;
  /** Environment holding the credentials the policy names; default process.env. */
  env?: Record<string, string | undefined>;
}

/** Credentials from the environment when the policy names none (README "Observing"). */
export const PROMETHEUS_ENV = { token: "RIGHTSIZE_PROMETHEUS_TOKEN", username: "RIGHTSIZE_PROMETHEUS_USERNAME", password: "RIGHTSIZE_PROMETHEUS_PASSWORD" } as const;

/**
 * What `rightsize plan` without --snapshot runs: every cluster of the policy, through its
 * Prometheus or its kubeconfig context per `observe.source`, over the policy's window.
 */
export async function observeForPolicy(policy: Policy, request: PolicyObservationRequest): Promise<ObservationSnapshot> {
  if (policy.observe.source === "snapshot") {
    throw new UsageError('the policy says observe.source: snapshot; pass --snapshot FILE (written by "rightsize snapshot") to replay one');
  }
  const to = parseInstant(request.at, "at");
  const window = { from: isoTime(to - policy.observe.window.seconds), to: request.at };
  const clusters: Policy["clusters"] = policy.clusters.length > 0 ? policy.clusters : [{ name: "default" }];
  const workloads: WorkloadObservation[] = [];
  const queries: Record<string, ObservationQuery> = {};
  const problems: ObservationProblem[] = [];
  const onProblem = (problem: ObservationProblem) => problems.push(problem);
  for (const [index, cluster] of clusters.entries()) {
    const field = `clusters[${index}]`;
    if (policy.observe.source === "prometheus") {
      if (!cluster.prometheus) {
        throw new InputError(`${field} (${cluster.name}) has no prometheus.url, but observe.source is prometheus; add clusters[].prometheus or set observe.source: metrics-server`, { field: `${field}.prometheus` });
      }
      const options = prometheusOptions(cluster.prometheus, request.env ?? process.env, `${field}.prometheus`);
      const namespaces = selectNamespaces(policy, request.namespaces ?? (await listed(() => discoverPrometheusNamespaces(options, window))));
      if (namespaces.length === 0) continue;
      const observed = await observeWithPrometheus(options, { cluster: cluster.name, namespaces, window, onProgress: request.onProgress, onProblem });
      workloads.push(...observed.workloads);
      Object.assign(queries, observed.queries);
    } else {
      const connection = { ...(request.kubeconfig ? { kubeconfig: request.kubeconfig } : {}), ...(cluster.context ? { context: cluster.context } : {}) };
      const namespaces = selectNamespaces(policy, request.namespaces ?? (await listed(() => discoverKubernetesNamespaces(connection))));
      if (namespaces.length === 0) continue;
      const sampling = { intervalSeconds: policy.observe.sampling.interval.seconds, durationSeconds: policy.observe.sampling.duration.seconds };
      workloads.push(...(await observeWithKubernetesApi(connection, { cluster: cluster.name, namespaces, sampling, at: request.at, onProgress: request.onProgress, onProblem })));
    }
  }
  return buildSnapshot(
    workloads.filter((observation) => isWorkloadSelected(policy, observation.workload)),
    request.at,
    problems,
    queries,
  );
}

async function listed(discover: () => Promise<string[]>): Promise<string[]> {
  try {
    return await discover();
  } catch (error) {
    if (error instanceof ApiProblem) {
      throw new ExternalError(`${error.message}; or name the namespaces in the policy (selector.namespaces.allow) or with --namespace`);
    }
    throw error;
  }
}

function selectNamespaces(policy: Policy, candidates: string[]): string[] {
  return [...new Set(candidates.filter((namespace) => isNamespaceSelected(policy, namespace)))];
}

type PolicyPrometheus = NonNullable<Policy["clusters"][number]["prometheus"]>;

function prometheusOptions(prometheus: PolicyPrometheus, env: Record<string, string | undefined>, field: string): PrometheusSourceOptions {
  const required = (name: string, where: string) => {
    const value = env[name];
    if (!value) throw new InputError(`${where} names the environment variable ${name}, which is not set`, { field: where });
    return value;
  };
  const options: PrometheusSourceOptions = {
    url: prometheus.url,
    timeoutSeconds: prometheus.timeout.seconds,
    retries: prometheus.retries,
    tls: { insecureSkipVerify: prometheus.tls.insecureSkipVerify, ...(prometheus.tls.caFile ? { caFile: prometheus.tls.caFile } : {}) },
  };
  if (prometheus.bearerTokenEnv) options.bearerToken = required(prometheus.bearerTokenEnv, `${field}.bearerTokenEnv`);
  else if (prometheus.basicAuth) {
    options.basicAuth = {
      username: required(prometheus.basicAuth.usernameEnv, `${field}.basicAuth.usernameEnv`),
      password: required(prometheus.basicAuth.passwordEnv, `${field}.basicAuth.passwordEnv`),
    };
  } else Object.assign(options, credentialsFromEnv(env));
  return options;
}

/** RIGHTSIZE_PROMETHEUS_TOKEN, or RIGHTSIZE_PROMETHEUS_USERNAME with RIGHTSIZE_PROMETHEUS_PASSWORD. */
export function credentialsFromEnv(env: Record<string, string | undefined>): Pick<PrometheusSourceOptions, "bearerToken" | "basicAuth"> {
  const token = env[PROMETHEUS_ENV.token];
  if (token) return { bearerToken: token };
  const username = env[PROMETHEUS_ENV.username];
  const password = env[PROMETHEUS_ENV.password];
  if (username !== undefined && password !== undefined) return { basicAuth: { username, password } };
  if (username !== undefined || password !== undefined) {
    throw new InputError(`set both ${PROMETHEUS_ENV.username} and ${PROMETHEUS_ENV.password} for basic auth (only one is set)`);
  }
  return {};
}
