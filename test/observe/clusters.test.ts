import { describe, expect, it } from "vitest";
import { parseOperatorClusters, redactSourceEndpoints, sourceFor } from "../../src/observe/index.js";

/** The operator's clusters file (SPEC §10) with every backend option, and endpoint redaction for every source. */
describe("the clusters file's store options", () => {
  const file = [
    "clusters:",
    "  - name: prod-eu",
    "    prometheus:",
    "      url: http://thanos-query.monitoring:9090",
    "      clusterLabel: cluster",
    "      partialResponse: deny",
    "      maxQueryLength: 8192",
    "      headers:",
    "        X-Scope-OrgID: {valueEnv: MIMIR_TENANT}",
    "        X-Team: {value: platform}",
    "  - name: eks",
    "    prometheus:",
    "      url: https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1",
    "      auth: {provider: aws, region: eu-west-1}",
    "  - name: gke",
    "    prometheus: {url: 'https://monitoring.googleapis.com/v1/projects/acme/location/global/prometheus', auth: {provider: google}}",
    "  - name: aks",
    "    prometheus: {url: 'https://prod.westeurope.prometheus.monitor.azure.com', auth: {provider: azure}}",
  ].join("\n");

  it("reads every backend with its defaults", () => {
    const clusters = parseOperatorClusters(file, "clusters.yaml").clusters;
    expect(clusters[0]!.prometheus).toMatchObject({
      clusterLabel: "cluster",
      partialResponse: "deny",
      maxQueryLength: 8192,
      headers: { "X-Scope-OrgID": { valueEnv: "MIMIR_TENANT" }, "X-Team": { value: "platform" } },
    });
    expect(clusters.map((cluster) => cluster.prometheus?.auth)).toEqual([
      undefined,
      { provider: "aws", region: "eu-west-1", service: "aps" },
      { provider: "google", scopes: ["https://www.googleapis.com/auth/monitoring.read"] },
      { provider: "azure", scope: "https://prometheus.monitor.azure.com/.default" },
    ]);
    expect(clusters[1]!.prometheus!.maxQueryLength).toBe(16_384);
  });

  // Columns point at the offending value (or, for a missing key, at the map that lacks it).
  it.each([
    ["    prometheus: {url: 'http://p', bearerTokenEnv: T, auth: {provider: google}}", "c.yaml:3:60 clusters[0].prometheus.auth: use one of bearerTokenEnv and auth, not both"],
    ["    prometheus: {url: 'http://p', clusterLabelValue: eu}", "c.yaml:3:54 clusters[0].prometheus.clusterLabelValue: clusterLabelValue needs clusterLabel (the label it is a value of)"],
    ["    prometheus: {url: 'http://p', clusterLabel: 'cluster-name'}", "c.yaml:3:49 clusters[0].prometheus.clusterLabel: expected a Prometheus label name such as cluster"],
    ["    prometheus: {url: 'http://p', headers: {X-Scope-OrgID: {valueEnv: 'my tenant'}}}", "c.yaml:3:71 clusters[0].prometheus.headers.X-Scope-OrgID.valueEnv: expected the name of an environment variable such as MIMIR_TENANT"],
    ["    prometheus: {url: 'http://p', auth: {provider: aws}}", "c.yaml:3:41 clusters[0].prometheus.auth.region: Invalid input: expected string, received undefined"],
    ["    prometheus: {url: 'http://p', maxQueryLength: 100}", "c.yaml:3:51 clusters[0].prometheus.maxQueryLength: Too small: expected number to be >=1024"],
  ])("names the line and field of %j", (line, message) => {
    expect(() => parseOperatorClusters(`clusters:\n  - name: prod\n${line}\n`, "c.yaml")).toThrow(message);
  });
});

describe("redaction of every source's endpoints", () => {
  it("replaces a Prometheus URL, its host, a kubeconfig file and a snapshot file with the source's name", () => {
    const clusters = parseOperatorClusters(
      [
        "clusters:",
        "  - name: prod",
        "    prometheus: {url: 'http://user:pw@prometheus.internal:9090/prom/'}",
        "  - name: staging",
        "    kubeconfig: /etc/rightsize/staging.kubeconfig",
        "  - name: demo",
        "    snapshot: /var/lib/rightsize/demo.json",
      ].join("\n"),
      "c.yaml",
    ).clusters;
    const redact = redactSourceEndpoints(clusters.map((cluster) => sourceFor(cluster, { inCluster: true })));
    expect(redact("GET http://prometheus.internal:9090/prom/api/v1/query failed")).toBe('GET the Prometheus of cluster "prod"/api/v1/query failed');
    expect(redact("dial tcp prometheus.internal:9090: refused")).toBe('dial tcp the Prometheus of cluster "prod": refused');
    expect(redact("cannot read /etc/rightsize/staging.kubeconfig")).toBe('cannot read the Kubernetes API of cluster "staging"');
    expect(redact("bad JSON in /var/lib/rightsize/demo.json")).toBe('bad JSON in the snapshot of cluster "demo"');
    expect(clusters.map((cluster) => sourceFor(cluster, { inCluster: true }).kind)).toEqual(["prometheus", "metrics-server", "snapshot"]);
  });
});
