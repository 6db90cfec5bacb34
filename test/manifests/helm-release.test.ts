import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { discoverTargets, discoverWorkloads, planWorkloadEdit, type DiscoveredWorkload, type DiscoveryTarget, type HelmValuesTarget, type RepoFile } from "../../src/manifests/index.js";
import { FIXTURES, fixtureRepo } from "./helpers.js";

/**
 * SPEC §3 for Helm: the fixture is laid out like fluxcd/flux2-kustomize-helm-example. The base
 * HelmRelease (apps/base/podinfo/release.yaml, with spec.values) is a kustomize base that the
 * staging and production overlays render; staging patches the release's values
 * (podinfo-values.yaml), production only its chart version (podinfo-version.yaml). A value the
 * base sets is read by both environments, so it is never changed for one of them in the base.
 */
const files = fixtureRepo("flux-helm");
const fixtureText = (file: string): string => readFileSync(path.join(FIXTURES, "repos", "flux-helm", file), "utf8");
const RELEASE = "apps/base/podinfo/release.yaml";
const podinfo = (values: string): HelmValuesTarget[] => [{ values, path: "resources", workload: { kind: "Deployment", name: "podinfo", container: "podinfo" } }];
const STAGING: DiscoveryTarget = { cluster: "staging", options: { include: ["apps/staging/**"], helm: podinfo(RELEASE) } };
const PRODUCTION: DiscoveryTarget = { cluster: "production", options: { include: ["apps/production/**"], helm: podinfo(RELEASE) } };

function only(workloads: DiscoveredWorkload[]): DiscoveredWorkload {
  expect(workloads.map((workload) => `${workload.namespace}/${workload.kind}/${workload.name}`)).toEqual(["podinfo/Deployment/podinfo"]);
  return workloads[0]!;
}

function applied(edits: { path: string; after: string }[]): RepoFile[] {
  const result = new Map(files.map((file) => [file.path, file]));
  for (const edit of edits) result.set(edit.path, { path: edit.path, text: edit.after });
  return [...result.values()];
}

describe("a HelmRelease base that two overlays render", () => {
  const [staging, production] = discoverTargets(files, [STAGING, PRODUCTION]);

  it("reads the values as each overlay renders them, and marks the base's values as read by the other environment", () => {
    const container = only(staging!.workloads).containers[0]!;
    expect(container.requests).toEqual({ cpu: "100m", memory: "64Mi" });
    expect(container.sharedFields).toEqual({ "requests.cpu": ["podinfo/Deployment/podinfo in cluster production"], "requests.memory": ["podinfo/Deployment/podinfo in cluster production"] });
    // staging's values patch is read by staging alone: its own patch.
    expect(container.ownPatch).toMatchObject({ path: "apps/staging/podinfo-values.yaml", yamlPath: ["spec", "values", "resources"], line: 10 });
  });

  it("sets staging's values in staging's own values patch, and leaves the base alone", () => {
    const outcome = planWorkloadEdit(files, only(staging!.workloads), [{ container: "podinfo", requests: { cpu: "50m", memory: "96Mi" } }]);
    if (!outcome.ok) throw outcome.refusal;
    expect(outcome.edits.map((edit) => [edit.path, edit.after])).toEqual([
      ["apps/staging/podinfo-values.yaml", `${fixtureText("apps/staging/podinfo-values.yaml")}    resources:\n      requests:\n        cpu: 50m\n        memory: 96Mi\n`],
    ]);
    // Discovered again: staging reads its own values, production still the base's.
    const [stagingAfter, productionAfter] = discoverTargets(applied(outcome.edits), [STAGING, PRODUCTION]);
    expect(only(stagingAfter!.workloads).containers[0]!.requests).toEqual({ cpu: "50m", memory: "96Mi" });
    expect(only(stagingAfter!.workloads).containers[0]!.sharedFields).toEqual({});
    expect(only(productionAfter!.workloads).containers[0]!.requests).toEqual({ cpu: "100m", memory: "64Mi" });
  });

  it("gives production, whose patch carries no values, a new values patch listed under its patches:", () => {
    const workload = only(production!.workloads);
    expect(workload.containers[0]!.ownPatch).toBeUndefined();
    const outcome = planWorkloadEdit(files, workload, [{ container: "podinfo", requests: { cpu: "250m" } }]);
    if (!outcome.ok) throw outcome.refusal;
    expect(outcome.edits.map((edit) => edit.path)).toEqual(["apps/production/kustomization.yaml", "apps/production/podinfo-resources.yaml"]);
    expect(outcome.edits[0]!.after).toBe(`${fixtureText("apps/production/kustomization.yaml")}  - path: podinfo-resources.yaml\n`);
    expect(outcome.edits[1]!.after).toBe(
      [
        "# This overlay's own resources, set by rightsize: the base is shared with other environments.",
        "apiVersion: helm.toolkit.fluxcd.io/v2",
        "kind: HelmRelease",
        "metadata:",
        "  name: podinfo",
        "spec:",
        "  values:",
        "    resources:",
        "      requests:",
        "        cpu: 250m",
        "",
      ].join("\n"),
    );
    const [, productionAfter] = discoverTargets(applied(outcome.edits), [STAGING, PRODUCTION]);
    expect(only(productionAfter!.workloads).containers[0]!.requests).toEqual({ cpu: "250m", memory: "64Mi" });
  });

  it("refuses, naming both environments, when one target holds both overlays", () => {
    const [both] = discoverTargets(files, [{ cluster: "prod", options: { helm: podinfo(RELEASE) } }]);
    const outcome = planWorkloadEdit(files, only(both!.workloads), [{ container: "podinfo", requests: { cpu: "50m" } }]);
    expect(!outcome.ok && outcome.refusal.message).toBe(
      'cannot set requests.cpu of container "podinfo" for Deployment podinfo/podinfo alone: apps/base/podinfo/release.yaml:21 is also read by podinfo/Deployment/podinfo via apps/production/kustomization.yaml, podinfo/Deployment/podinfo via apps/staging/kustomization.yaml; give it its own value in a patch of its own overlay (or its own values file), then propose again',
    );
  });

  it("names an overlay no target holds as a sharer too", () => {
    const [alone] = discoverTargets(files, [STAGING]);
    expect(only(alone!.workloads).containers[0]!.sharedWith).toEqual(["podinfo/Deployment/podinfo via apps/production/kustomization.yaml"]);
  });
});

describe("a release whose values an overlay patches in a way rightsize does not follow", () => {
  const withJson = files.map((file) =>
    file.path === "apps/staging/kustomization.yaml"
      ? { ...file, text: `${file.text}  - target:\n      kind: HelmRelease\n    patch: |-\n      - op: replace\n        path: /spec/values/resources/requests/cpu\n        value: 10m\n` }
      : file,
  );

  it("is skipped with the reason when a JSON6902 patch writes its values", () => {
    const [staging] = discoverTargets(withJson, [STAGING]);
    expect(staging!.workloads).toEqual([]);
    expect(staging!.skipped).toEqual([
      {
        path: RELEASE,
        reason: "Deployment podinfo/podinfo: apps/staging/kustomization.yaml: a JSON6902 patch (apps/staging/kustomization.yaml) changes its spec.values, which rightsize does not follow; edit the values by hand",
      },
    ]);
  });
});

describe("an overlay's Helm values file named as the target's values", () => {
  const [staging] = discoverTargets(files, [{ cluster: "staging", options: { include: ["apps/staging/**"], helm: podinfo("apps/staging/podinfo-values.yaml") } }]);

  it("reads the values the overlay renders (the base's, under the file's) and writes the file", () => {
    const workload = only(staging!.workloads);
    expect(workload.containers[0]!.requests).toEqual({ cpu: "100m", memory: "64Mi" });
    const outcome = planWorkloadEdit(files, workload, [{ container: "podinfo", limits: { memory: "128Mi" } }]);
    if (!outcome.ok) throw outcome.refusal;
    expect(outcome.edits.map((edit) => [edit.path, edit.after])).toEqual([
      ["apps/staging/podinfo-values.yaml", `${fixtureText("apps/staging/podinfo-values.yaml")}    resources:\n      limits:\n        memory: 128Mi\n`],
    ]);
  });
});

describe("lines in Helm skip messages", () => {
  // The values file starts with a comment header: its first key is on line 4, the frontend block on line 8.
  const values = ["# Values for the shop chart.", "# Every environment overrides these.", "", "replicaCount: 2", "", "frontend:", "  image: frontend:2.0", "  resources:", "    requests:", "      cpu: 100m", "  ports: 8080", ""].join("\n");
  const plain = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: frontend\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: frontend\n";
  const repo: RepoFile[] = [
    { path: "charts/shop/values.yaml", text: values },
    { path: "apps/frontend.yaml", text: plain },
  ];

  it("name the values block a workload is defined by, not the top of the values file", () => {
    const { skipped } = discoverWorkloads(repo, { include: ["apps/**"], helm: [{ values: "charts/shop/values.yaml", path: "frontend.resources", workload: { kind: "Deployment", name: "frontend", container: "frontend" }, namespace: "shop" }] });
    expect(skipped).toEqual([
      {
        path: "apps/frontend.yaml",
        reason: "Deployment shop/frontend is defined twice (apps/frontend.yaml:1 and charts/shop/values.yaml:8); rightsize cannot tell which one is applied, so none is edited",
      },
    ]);
  });

  it("name the line where a values path runs into something else", () => {
    const { skipped } = discoverWorkloads(repo, { include: ["none/**"], helm: [{ values: "charts/shop/values.yaml", path: "frontend.ports.resources", workload: { kind: "Deployment", name: "frontend", container: "frontend" } }] });
    // ports (line 11) is a number, not a mapping.
    expect(skipped).toEqual([{ path: "charts/shop/values.yaml", reason: 'values path "frontend.ports.resources" runs into a value that is not a mapping (line 11)' }]);
  });
});
