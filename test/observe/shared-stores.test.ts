import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeForPolicy } from "../../src/observe/index.js";
import { loadPolicy } from "../../src/policy/index.js";
import { promqlOf, startLoopbackServer, type LoopbackServer, type RecordedRequest } from "../helpers/http.js";

/**
 * Query shapes that work on Thanos, Mimir and VictoriaMetrics (SPEC §4): POST forms, the tenant
 * header from a named environment variable on every request, every selector scoped to the
 * cluster's label, Thanos' partial_response, and warnings about partial data kept as the
 * workload's problems (never read as a complete answer).
 */
const AT = "2025-03-08T00:00:00Z";
let store: LoopbackServer;

function answer(request: RecordedRequest) {
  if (request.url.pathname.endsWith("/label/__name__/values")) return { status: 200, body: JSON.stringify({ status: "success", data: ["kube_pod_owner", "kube_replicaset_owner"] }) };
  const query = promqlOf(request);
  const vector = (result: unknown[]) => JSON.stringify({ status: "success", data: { resultType: "vector", result }, warnings: ["partial response: store thanos-store-eu-2 did not answer"] });
  if (query.startsWith("count by (namespace)")) return { status: 200, body: vector([{ metric: { namespace: "shop" }, value: [0, "1"] }]) };
  if (query.includes("kube_pod_owner") && query.includes("kube_job_owner")) {
    return {
      status: 200,
      body: vector([
        { metric: { namespace: "shop", pod: "api-7d9-a", owner_kind: "ReplicaSet", owner_name: "api-7d9" }, value: [0, "1"] },
        { metric: { namespace: "shop", replicaset: "api-7d9", owner_kind: "Deployment", owner_name: "api" }, value: [0, "1"] },
      ]),
    };
  }
  return { status: 200, body: vector([]) };
}

beforeAll(async () => {
  store = await startLoopbackServer(answer);
});

afterAll(async () => {
  await store?.stop();
});

const policy = (prometheus: string) =>
  loadPolicy({ path: "p.yml", text: `apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nclusters:\n  - name: prod-eu\n    prometheus: ${prometheus}\nobserve: {window: 1d}\n` }).policy;

describe("one store for many clusters, with a tenant", () => {
  it("POSTs every query as a form with the tenant header and the cluster label on every selector", async () => {
    store.requests.length = 0;
    await observeForPolicy(policy(`{url: "${store.url}/prometheus", clusterLabel: cluster, headers: {X-Scope-OrgID: {valueEnv: MIMIR_TENANT}}}`), { at: AT, env: { MIMIR_TENANT: "team-a" } });
    const queries = store.requests.filter((request) => request.url.pathname.endsWith("/api/v1/query"));
    expect(queries.length).toBeGreaterThan(3);
    for (const request of queries) {
      expect(request.method).toBe("POST");
      expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      // The value defaults to the cluster's name; every metric selector carries it.
      const selectors = promqlOf(request).match(/\b[a-z_]+\{[^}]*\}/g) ?? [];
      expect(selectors.length).toBeGreaterThan(0);
      for (const selector of selectors) expect(selector).toContain('cluster="prod-eu"');
    }
    expect(store.requests.every((request) => request.headers["x-scope-orgid"] === "team-a")).toBe(true);
    const names = store.requests.find((request) => request.url.pathname.endsWith("/label/__name__/values"))!;
    expect(names.method).toBe("GET");
    expect(names.url.searchParams.get("match[]")).toMatch(/^\{__name__=~"container_cpu_usage_seconds_total\|.*",cluster="prod-eu",namespace="shop"\}$/);
  });

  it("says which variable is missing when the tenant's is not set", async () => {
    await expect(observeForPolicy(policy(`{url: "${store.url}", headers: {X-Scope-OrgID: {valueEnv: MIMIR_TENANT}}}`), { at: AT, env: {} })).rejects.toThrow(
      "clusters[0].prometheus.headers.X-Scope-OrgID.valueEnv names the environment variable MIMIR_TENANT, which is not set",
    );
  });

  it("sends Thanos partial_response as configured, and keeps partial-data warnings as the workload's problems", async () => {
    for (const [mode, sent] of [
      ["deny", "false"],
      ["allow", "true"],
    ] as const) {
      store.requests.length = 0;
      const snapshot = await observeForPolicy(policy(`{url: "${store.url}", clusterLabel: cluster, clusterLabelValue: eu-1, partialResponse: ${mode}}`), { at: AT });
      const forms = store.requests.filter((request) => request.method === "POST").map((request) => new URLSearchParams(request.body).get("partial_response"));
      expect(new Set(forms)).toEqual(new Set([sent]));
      const api = snapshot.workloads.find((workload) => workload.workload.name === "api")!;
      expect(api.workload).toEqual({ cluster: "prod-eu", namespace: "shop", kind: "Deployment", name: "api" });
      expect(api.problems).toEqual([
        "Prometheus warned about pod owners (partial data): partial response: store thanos-store-eu-2 did not answer",
        "Prometheus warned about Job runs (partial data): partial response: store thanos-store-eu-2 did not answer",
        "Prometheus warned about HPAs (partial data): partial response: store thanos-store-eu-2 did not answer",
        "Prometheus warned about restarts, peaks, throttling and current requests (partial data): partial response: store thanos-store-eu-2 did not answer",
      ]);
    }
    // Without the setting, the store's own default: the parameter is not sent.
    store.requests.length = 0;
    await observeForPolicy(policy(`{url: "${store.url}"}`), { at: AT });
    expect(store.requests.filter((request) => request.method === "POST").every((request) => !new URLSearchParams(request.body).has("partial_response"))).toBe(true);
  });
});
