import { describe, expect, it } from "vitest";
import { clustersNamedBy, parseOperatorClusters } from "../../src/pipeline/clusters.js";
import { loadPolicy } from "../../src/policy/index.js";

describe("the operator's clusters file (RIGHTSIZE_CLUSTERS_FILE)", () => {
  it("reads clusters with Prometheus endpoints, credentials as variable names, contexts and replays", () => {
    const clusters = parseOperatorClusters(
      [
        "clusters:",
        "  - name: prod",
        "    prometheus:",
        "      url: http://prometheus.monitoring:9090",
        "      bearerTokenEnv: PROD_PROMETHEUS_TOKEN",
        "  - name: staging",
        "    context: staging-eu",
        "  - name: demo",
        "    snapshot: /var/lib/rightsize/demo.json",
      ].join("\n"),
      "clusters.yaml",
    );
    expect(clusters.clusters.map((cluster) => cluster.name)).toEqual(["prod", "staging", "demo"]);
    expect(clusters.clusters[0]!.prometheus).toMatchObject({ url: "http://prometheus.monitoring:9090", bearerTokenEnv: "PROD_PROMETHEUS_TOKEN", retries: 3 });
  });

  it("names the line, column and field of a bad entry", () => {
    expect(() => parseOperatorClusters("clusters:\n  - name: prod\n    prometheus:\n      url: not-a-url\n", "clusters.yaml")).toThrow(
      "clusters.yaml:4:12 clusters[0].prometheus.url: expected an http(s) URL such as http://prometheus.monitoring:9090",
    );
    expect(() => parseOperatorClusters("clusters:\n  - name: prod\n    token: abc\n", "clusters.yaml")).toThrow(/^clusters\.yaml:2:5 clusters\[0\]: Unrecognized key: "token"/);
  });

  it("refuses an empty list, a name given twice and broken YAML", () => {
    expect(() => parseOperatorClusters("clusters: []\n", "c.yaml")).toThrow("c.yaml:1:11 clusters: name at least one cluster");
    expect(() => parseOperatorClusters("clusters:\n  - name: a\n  - name: a\n", "c.yaml")).toThrow('c.yaml: cluster "a" is named twice; give each cluster its own name');
    expect(() => parseOperatorClusters("clusters: [\n", "c.yaml")).toThrow(/^c\.yaml:\d+:\d+: not valid YAML/);
  });

  it("finds the cluster names a policy uses, `default` when it names none", () => {
    const policy = (text: string) => loadPolicy({ path: "p.yml", text: `apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\n${text}` }).policy;
    expect(clustersNamedBy(policy(""))).toEqual(["default"]);
    expect(clustersNamedBy(policy('targets:\n  - {paths: ["a/**"], cluster: prod}\n  - {paths: ["b/**"], cluster: staging}\n  - {paths: ["c/**"], cluster: prod}\n'))).toEqual(["prod", "staging"]);
  });
});
