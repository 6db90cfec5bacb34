import { InputError } from "../domain/index.js";
import type { Policy } from "../policy/index.js";
import { createAuthorizer } from "./auth/index.js";
import type { PrometheusSourceOptions } from "./prometheus/client.js";

/** Credentials from the environment when the policy names none (README "Observing"). */
export const PROMETHEUS_ENV = { token: "RIGHTSIZE_PROMETHEUS_TOKEN", username: "RIGHTSIZE_PROMETHEUS_USERNAME", password: "RIGHTSIZE_PROMETHEUS_PASSWORD" } as const;

export type PrometheusConnection = NonNullable<Policy["clusters"][number]["prometheus"]>;

/**
 * The source options of one cluster's Prometheus-compatible store, from the policy's or the
 * clusters file's connection: credentials and header values from the environment variables it
 * names (never from the file), the cluster label (its value defaulting to the cluster's name),
 * and the vendor's authorizer for a managed store (loaded only then).
 */
export async function prometheusConnection(
  prometheus: PrometheusConnection,
  where: { cluster: string; env: Record<string, string | undefined>; field: string },
): Promise<PrometheusSourceOptions> {
  const { env, field } = where;
  const required = (name: string, at: string) => {
    const value = env[name];
    if (!value) throw new InputError(`${at} names the environment variable ${name}, which is not set`, { field: at });
    return value;
  };
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(prometheus.headers)) {
    headers[name] = "value" in header ? header.value : required(header.valueEnv, `${field}.headers.${name}.valueEnv`);
  }
  const options: PrometheusSourceOptions = {
    url: prometheus.url,
    timeoutSeconds: prometheus.timeout.seconds,
    retries: prometheus.retries,
    tls: { insecureSkipVerify: prometheus.tls.insecureSkipVerify, ...(prometheus.tls.caFile ? { caFile: prometheus.tls.caFile } : {}) },
    maxQueryLength: prometheus.maxQueryLength,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(prometheus.partialResponse ? { partialResponse: prometheus.partialResponse } : {}),
    ...(prometheus.clusterLabel ? { cluster: { label: prometheus.clusterLabel, value: prometheus.clusterLabelValue ?? where.cluster } } : {}),
  };
  if (prometheus.bearerTokenEnv) options.bearerToken = required(prometheus.bearerTokenEnv, `${field}.bearerTokenEnv`);
  else if (prometheus.basicAuth) {
    options.basicAuth = {
      username: required(prometheus.basicAuth.usernameEnv, `${field}.basicAuth.usernameEnv`),
      password: required(prometheus.basicAuth.passwordEnv, `${field}.basicAuth.passwordEnv`),
    };
  } else if (prometheus.auth) options.authorizer = await createAuthorizer(prometheus.auth, prometheus.url, env);
  else Object.assign(options, credentialsFromEnv(env));
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
