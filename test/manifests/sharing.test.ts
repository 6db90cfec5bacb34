import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { discoverTargets, discoverWorkloads, planWorkloadEdit, type DiscoveredWorkload, type DiscoveryTarget, type RepoFile } from "../../src/manifests/index.js";
import { FIXTURES, fixtureRepo } from "./helpers.js";

/**
 * Issue 11, SPEC §3: a base that several environments build is not edited for one of them.
 * The fixture is laid out like stefanprodan/podinfo's `deploy/`: bases for frontend and backend,
 * overlays dev, staging and production; production already patches the backend's memory.
 */
const files = fixtureRepo("shared-bases");
const PROD: DiscoveryTarget = { cluster: "prod", options: { include: ["deploy/overlays/production/**"] } };
const STAGING: DiscoveryTarget = { cluster: "staging", options: { include: ["deploy/overlays/staging/**"] } };
const DEV_SHARER = "dev/Deployment/frontend via deploy/overlays/dev/kustomization.yaml";
const STAGING_SHARER = "staging/Deployment/frontend in cluster staging";

function find(workloads: DiscoveredWorkload[], name: string): DiscoveredWorkload {
  const found = workloads.find((workload) => workload.name === name);
  if (!found) throw new Error(`no ${name} in ${workloads.map((workload) => workload.name).join(", ")}`);
  return found;
}

function applied(base: RepoFile[], edits: { path: string; after: string }[]): RepoFile[] {
  const result = new Map(base.map((file) => [file.path, file]));
  for (const edit of edits) result.set(edit.path, { path: edit.path, text: edit.after });
  return [...result.values()];
}

const fixtureText = (file: string): string => readFileSync(path.join(FIXTURES, "repos", "shared-bases", file), "utf8");

describe("sharing is seen across policy targets and every other overlay of the repository", () => {
  const [prod, staging] = discoverTargets(files, [PROD, STAGING]);

  it("marks each field the production frontend reads from the base as shared with staging (a target) and dev (no target)", () => {
    const frontend = find(prod!.workloads, "frontend").containers[0]!;
    const both = [DEV_SHARER, STAGING_SHARER];
    expect(frontend.sharedFields).toEqual({ "requests.cpu": both, "requests.memory": both, "limits.cpu": both, "limits.memory": both });
    expect(frontend.sharedWith).toEqual(both);
    expect(frontend.ownPatch).toBeUndefined();
    expect(find(prod!.workloads, "frontend").overlay).toEqual({ kustomization: "deploy/overlays/production/kustomization.yaml", patch: { apiVersion: "apps/v1", kind: "Deployment", name: "frontend" } });
  });

  it("does not count a field the workload's own patch sets; a missing field goes to that patch, which only it reads", () => {
    const backend = find(prod!.workloads, "backend").containers[0]!;
    const both = ["dev/Deployment/backend via deploy/overlays/dev/kustomization.yaml", "staging/Deployment/backend in cluster staging"];
    // requests.memory: the production patch; limits.cpu: nowhere yet, and it would be added to the production patch.
    expect(backend.sharedFields).toEqual({ "requests.cpu": both, "limits.memory": both });
    expect(backend.ownPatch).toMatchObject({ path: "deploy/overlays/production/backend-memory.yaml", yamlPath: ["spec", "template", "spec", "containers", 0, "resources"], line: 10 });
  });

  it("names production as a sharer from staging's side, with its cluster", () => {
    expect(find(staging!.workloads, "frontend").containers[0]!.sharedFields["requests.cpu"]).toEqual(["dev/Deployment/frontend via deploy/overlays/dev/kustomization.yaml", "production/Deployment/frontend in cluster prod"]);
  });

  it("without a policy, discovery of the whole checkout sees the three overlays share the base", () => {
    const frontend = discoverWorkloads(files).workloads.filter((workload) => workload.name === "frontend");
    expect(frontend.map((workload) => `${workload.namespace}: ${workload.containers[0]!.sharedWith.join(", ")}`)).toEqual([
      "dev: production/Deployment/frontend, staging/Deployment/frontend",
      "production: dev/Deployment/frontend, staging/Deployment/frontend",
      "staging: dev/Deployment/frontend, production/Deployment/frontend",
    ]);
  });
});

describe("a shared value is set in the workload's own overlay, never in the shared base", () => {
  const [prod] = discoverTargets(files, [PROD, STAGING]);

  it("adds a patch next to production's kustomization.yaml and lists it under patches:, byte-minimally", () => {
    const outcome = planWorkloadEdit(files, find(prod!.workloads, "frontend"), [{ container: "frontend", requests: { cpu: "210m", memory: "288Mi" } }]);
    if (!outcome.ok) throw outcome.refusal;
    expect(outcome.edits.map((edit) => edit.path)).toEqual(["deploy/overlays/production/kustomization.yaml", "deploy/overlays/production/frontend-resources.yaml"]);
    expect(outcome.edits[0]!.after).toBe(`${fixtureText("deploy/overlays/production/kustomization.yaml")}  - path: frontend-resources.yaml\n`);
    expect(outcome.edits[1]!.before).toBe("");
    expect(outcome.edits[1]!.after).toBe(
      [
        "# This overlay's own resources, set by rightsize: the base is shared with other environments.",
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: frontend",
        "spec:",
        "  template:",
        "    spec:",
        "      containers:",
        "        - name: frontend",
        "          resources:",
        "            requests:",
        "              cpu: 210m",
        "              memory: 288Mi",
        "",
      ].join("\n"),
    );
    expect(outcome.edits[1]!.diff.split("\n").slice(0, 5)).toEqual([
      "diff --git a/deploy/overlays/production/frontend-resources.yaml b/deploy/overlays/production/frontend-resources.yaml",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/deploy/overlays/production/frontend-resources.yaml",
      "@@ -0,0 +1,14 @@",
    ]);

    // Built again: production reads its own values from the new patch; staging and dev still read the base.
    const after = applied(files, outcome.edits);
    const [prodAfter, stagingAfter] = discoverTargets(after, [PROD, STAGING]);
    const frontend = find(prodAfter!.workloads, "frontend").containers[0]!;
    expect(frontend.requests).toEqual({ cpu: "210m", memory: "288Mi" });
    expect(frontend.sharedFields).toEqual({ "limits.cpu": [DEV_SHARER, STAGING_SHARER], "limits.memory": [DEV_SHARER, STAGING_SHARER] });
    expect(frontend.ownPatch?.path).toBe("deploy/overlays/production/frontend-resources.yaml");
    expect(find(stagingAfter!.workloads, "frontend").containers[0]!.requests).toEqual({ cpu: "100m", memory: "32Mi" });
    // The same change again changes nothing.
    const again = planWorkloadEdit(after, find(prodAfter!.workloads, "frontend"), [{ container: "frontend", requests: { cpu: "210m", memory: "288Mi" } }]);
    expect(again).toEqual({ ok: true, edits: [] });
  });

  it("extends production's existing patch with the fields it does not set yet", () => {
    const outcome = planWorkloadEdit(files, find(prod!.workloads, "backend"), [{ container: "backend", requests: { cpu: "200m", memory: "300Mi" }, limits: { cpu: "1" } }]);
    if (!outcome.ok) throw outcome.refusal;
    expect(outcome.edits.map((edit) => [edit.path, edit.after])).toEqual([
      [
        "deploy/overlays/production/backend-memory.yaml",
        fixtureText("deploy/overlays/production/backend-memory.yaml")
          .replace("memory: 256Mi  # cache warm-up", "memory: 300Mi  # cache warm-up\n            cpu: 200m")
          .concat("          limits:\n            cpu: 1\n"),
      ],
    ]);
  });

  it("refuses, naming every sharer, when the same overlay is deployed to two clusters", () => {
    const [eu] = discoverTargets(files, [PROD, { cluster: "prod-us", options: { include: ["deploy/overlays/production/**"] } }]);
    const frontend = find(eu!.workloads, "frontend");
    expect(frontend.overlay).toBeUndefined();
    const outcome = planWorkloadEdit(files, frontend, [{ container: "frontend", requests: { cpu: "210m" } }]);
    expect(!outcome.ok && outcome.refusal.message).toBe(
      'cannot set requests.cpu of container "frontend" for Deployment production/frontend alone: deploy/bases/frontend/deployment.yaml:22 is also read by dev/Deployment/frontend via deploy/overlays/dev/kustomization.yaml, production/Deployment/frontend in cluster prod-us, staging/Deployment/frontend via deploy/overlays/staging/kustomization.yaml; give it its own value in a patch of its own overlay (or its own values file), then propose again',
    );
  });

  it("writes the patch under the name the overlay's patches see, before its own namePrefix", () => {
    const prefixed = files.map((file) => (file.path === "deploy/overlays/production/kustomization.yaml" ? { ...file, text: file.text.replace("namespace: production\n", "namespace: production\nnamePrefix: prod-\n") } : file));
    const [target] = discoverTargets(prefixed, [PROD, STAGING]);
    const outcome = planWorkloadEdit(prefixed, find(target!.workloads, "prod-frontend"), [{ container: "frontend", limits: { memory: "640Mi" } }]);
    if (!outcome.ok) throw outcome.refusal;
    expect(outcome.edits[1]).toMatchObject({ path: "deploy/overlays/production/frontend-resources.yaml" });
    expect(outcome.edits[1]!.after).toContain("metadata:\n  name: frontend\n");
    expect(outcome.edits[1]!.after).toContain("            limits:\n              memory: 640Mi\n");
  });

  it("refuses when a later patch of the overlay would still win over the new one (checked by building it again)", () => {
    const cpuPatch = "- op: replace\n  path: /spec/template/spec/containers/0/resources/requests/cpu\n  value: 150m\n";
    const withJson = [
      ...files.map((file) =>
        file.path.endsWith("/kustomization.yaml") && /overlays\/(production|staging)\//.test(file.path)
          ? { ...file, text: `${file.text}patchesJson6902:\n  - target: {group: apps, version: v1, kind: Deployment, name: frontend}\n    path: ../../shared/cpu.yaml\n` }
          : file,
      ),
      { path: "deploy/shared/cpu.yaml", text: cpuPatch },
    ];
    const [target] = discoverTargets(withJson, [PROD, STAGING]);
    const frontend = find(target!.workloads, "frontend");
    expect(frontend.containers[0]!.sharedFields["requests.cpu"]).toEqual([STAGING_SHARER]);
    const outcome = planWorkloadEdit(withJson, frontend, [{ container: "frontend", requests: { cpu: "210m" } }]);
    expect(!outcome.ok && outcome.refusal.message).toBe(
      'cannot set the shared values of Deployment production/frontend in its own patch: requests.cpu of container "frontend" would still come from deploy/shared/cpu.yaml; set them by hand',
    );
  });
});

describe("a new patches: key in a kustomization with commented-out components (microservices-demo's kustomize/)", () => {
  const kustomization = [
    "apiVersion: kustomize.config.k8s.io/v1beta1",
    "kind: Kustomization",
    "resources:",
    "- base",
    "components:",
    "# - components/cymbal-branding",
    "# - components/google-cloud-operations",
    "# - components/without-loadgenerator",
    "# These must be run last and in this order",
    "# - components/container-images-tag",
    "",
  ].join("\n");
  const deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: frontend\nspec:\n  template:\n    spec:\n      containers:\n        - name: server\n          resources:\n            requests:\n              cpu: 100m\n";
  const demo: RepoFile[] = [
    { path: "kustomize/kustomization.yaml", text: kustomization },
    { path: "kustomize/base/kustomization.yaml", text: "resources:\n- frontend.yaml\n" },
    { path: "kustomize/base/frontend.yaml", text: deployment },
    { path: "dev/kustomization.yaml", text: "namespace: dev\nresources:\n- ../kustomize/base\n" },
  ];

  it("goes after the commented-out list, so uncommenting a component still lands it under components:", () => {
    const [target] = discoverTargets(demo, [{ cluster: "prod", options: { include: ["kustomize/**"] } }]);
    const outcome = planWorkloadEdit(demo, find(target!.workloads, "frontend"), [{ container: "server", requests: { cpu: "150m" } }]);
    if (!outcome.ok) throw outcome.refusal;
    expect(outcome.edits.map((edit) => edit.path)).toEqual(["kustomize/kustomization.yaml", "kustomize/frontend-resources.yaml"]);
    expect(outcome.edits[0]!.after).toBe(`${kustomization}patches:\n- path: frontend-resources.yaml\n`);
  });

  it("goes at the end of a file without a final newline too", () => {
    const unterminated = demo.map((file) => (file.path === "kustomize/kustomization.yaml" ? { ...file, text: kustomization.trimEnd() } : file));
    const [target] = discoverTargets(unterminated, [{ cluster: "prod", options: { include: ["kustomize/**"] } }]);
    const outcome = planWorkloadEdit(unterminated, find(target!.workloads, "frontend"), [{ container: "server", requests: { cpu: "150m" } }]);
    if (!outcome.ok) throw outcome.refusal;
    expect(outcome.edits[0]!.after).toBe(`${kustomization.trimEnd()}\npatches:\n- path: frontend-resources.yaml`);
  });
});

describe("Helm values and plain manifests that two targets read", () => {
  const values = "frontend:\n  resources:\n    requests:\n      cpu: 100m\n";
  const helmFiles: RepoFile[] = [{ path: "charts/shop/values.yaml", text: values }];
  const helm = (cluster: string): DiscoveryTarget => ({
    cluster,
    options: { include: ["none/**"], helm: [{ values: "charts/shop/values.yaml", path: "frontend.resources", workload: { kind: "Deployment", name: "frontend", container: "frontend" }, namespace: "shop" }] },
  });

  it("refuses to change a values file for one cluster when another reads the same path", () => {
    const [prod] = discoverTargets(helmFiles, [helm("prod"), helm("staging")]);
    const frontend = find(prod!.workloads, "frontend");
    expect(frontend.containers[0]!.sharedWith).toEqual(["shop/Deployment/frontend in cluster staging"]);
    const outcome = planWorkloadEdit(helmFiles, frontend, [{ container: "frontend", requests: { cpu: "150m" } }]);
    expect(!outcome.ok && outcome.refusal.message).toBe(
      'cannot set requests.cpu of container "frontend" for Deployment shop/frontend alone: charts/shop/values.yaml:4 is also read by shop/Deployment/frontend in cluster staging; give it its own value in a patch of its own overlay (or its own values file), then propose again',
    );
  });

  it("refuses a plain manifest two clusters deploy", () => {
    const plain: RepoFile[] = [{ path: "apps/web.yaml", text: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n" }];
    const [a] = discoverTargets(plain, [{ cluster: "a", options: {} }, { cluster: "b", options: {} }]);
    const outcome = planWorkloadEdit(plain, find(a!.workloads, "web"), [{ container: "web", requests: { cpu: "150m" } }]);
    expect(!outcome.ok && outcome.refusal.message).toBe(
      'cannot set requests.cpu of container "web" for Deployment shop/web alone: apps/web.yaml:8 is also read by shop/Deployment/web in cluster b; give it its own value in a patch of its own overlay (or its own values file), then propose again',
    );
  });
});

describe("an Argo Rollout with workloadRef", () => {
  const rollout = [
    "apiVersion: argoproj.io/v1alpha1",
    "kind: Rollout",
    "metadata: {name: checkout, namespace: shop}",
    "spec:",
    "  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: checkout-template}",
    "---",
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata: {name: checkout-template, namespace: shop}",
    "spec:",
    "  replicas: 0",
    "  template:",
    "    spec:",
    "      containers:",
    "        - name: api",
    "          resources:",
    "            requests: {cpu: 500m}",
    "",
  ].join("\n");

  it("is edited through its template Deployment without being reported as shared with it", () => {
    const workloads = discoverWorkloads([{ path: "apps/checkout.yaml", text: rollout }]).workloads;
    const rolloutWorkload = workloads.find((workload) => workload.kind === "Rollout")!;
    expect(rolloutWorkload.containers[0]!.sharedWith).toEqual([]);
    const outcome = planWorkloadEdit([{ path: "apps/checkout.yaml", text: rollout }], rolloutWorkload, [{ container: "api", requests: { cpu: "400m" } }]);
    expect(outcome.ok && outcome.edits[0]!.after).toBe(rollout.replace("cpu: 500m", "cpu: 400m"));
  });

  it("reports the Rollout as a sharer of the Deployment itself: editing the template alone changes the Rollout", () => {
    const template = discoverWorkloads([{ path: "apps/checkout.yaml", text: rollout }]).workloads.find((workload) => workload.kind === "Deployment")!;
    expect(template.containers[0]!.sharedWith).toEqual(["shop/Rollout/checkout"]);
  });
});

const CORPUS = "/work/shared/corpus/stefanprodan+podinfo/deploy/bases";

// Reads the shared corpus of real manifests (stefanprodan/podinfo, Apache-2.0) when it is on this
// machine; the overlays are written here as podinfo's are. Skipped where the corpus is absent.
describe.skipIf(!existsSync(CORPUS))("podinfo's deploy/ with production and staging targets (shared corpus)", () => {
  it("proposes production's change in production's overlay and leaves bases/frontend alone", () => {
    const base = (name: string): RepoFile => ({ path: `deploy/bases/${name}/deployment.yaml`, text: readFileSync(path.join(CORPUS, name, "deployment.yaml"), "utf8") });
    const overlay = (environment: string): RepoFile => ({
      path: `deploy/overlays/${environment}/kustomization.yaml`,
      text: `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${environment}\nresources:\n  - ../../bases/backend\n  - ../../bases/frontend\n`,
    });
    const podinfo: RepoFile[] = [
      base("frontend"),
      base("backend"),
      { path: "deploy/bases/frontend/kustomization.yaml", text: "resources:\n  - deployment.yaml\n" },
      { path: "deploy/bases/backend/kustomization.yaml", text: "resources:\n  - deployment.yaml\n" },
      overlay("dev"),
      overlay("staging"),
      overlay("production"),
    ];
    const [prod] = discoverTargets(podinfo, [PROD, STAGING]);
    const outcome = planWorkloadEdit(podinfo, find(prod!.workloads, "frontend"), [{ container: "frontend", requests: { cpu: "150m" } }]);
    if (!outcome.ok) throw outcome.refusal;
    expect(outcome.edits.map((edit) => edit.path)).toEqual(["deploy/overlays/production/kustomization.yaml", "deploy/overlays/production/frontend-resources.yaml"]);
    expect(outcome.edits[0]!.after).toBe(`${overlay("production").text}patches:\n  - path: frontend-resources.yaml\n`);
  });
});
