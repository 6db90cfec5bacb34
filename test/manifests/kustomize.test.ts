import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { discoverWorkloads, planWorkloadEdit, type DiscoveredContainer, type DiscoveredWorkload, type RepoFile, type ResourceChange } from "../../src/manifests/index.js";
import { FIXTURES, fixtureRepo } from "./helpers.js";

const files = fixtureRepo("kustomize");
const discovery = discoverWorkloads(files);

function workload(namespace: string, kind: string, name: string): DiscoveredWorkload {
  const found = discovery.workloads.find((candidate) => candidate.namespace === namespace && candidate.kind === kind && candidate.name === name);
  if (!found) throw new Error(`no ${namespace}/${kind}/${name} in ${discovery.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}`).join(", ")}`);
  return found;
}

function container(owner: DiscoveredWorkload, name: string): DiscoveredContainer {
  return owner.containers.find((candidate) => candidate.name === name)!;
}

/** `field=value path:line`, with "(effective)" on the definition Kubernetes sees. */
function definitions(of: DiscoveredContainer): string[] {
  return of.definitions.map((definition) => `${definition.field}=${definition.value} ${definition.location.path}:${definition.location.line}${definition.effective ? " (effective)" : ""}`);
}

/** Every file under `kustomize.expected/<name>/`, which are exactly the files the edit must change. */
function expectedFiles(name: string): Map<string, string> {
  const root = path.join(FIXTURES, "repos", "kustomize.expected", name);
  const result = new Map<string, string>();
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else result.set(child, readFileSync(path.join(root, child), "utf8"));
    }
  };
  walk("");
  return result;
}

function editedFiles(target: DiscoveredWorkload, changes: ResourceChange[]): Map<string, string> {
  const outcome = planWorkloadEdit(files, target, changes);
  if (!outcome.ok) throw new Error(outcome.refusal.message);
  return new Map(outcome.edits.map((edit) => [edit.path, edit.after]));
}

describe("kustomize discovery", () => {
  it("lists what the overlays deploy (not the base on its own), with prefix, suffix and the kustomization namespace", () => {
    expect(discovery.workloads.map((found) => `${found.namespace}/${found.kind}/${found.name} via ${found.kustomization}`)).toEqual([
      "prod/Deployment/prod-api via apps/overlays/prod/kustomization.yaml",
      "prod/CronJob/prod-cleanup via apps/overlays/prod/kustomization.yaml",
      "staging/Deployment/api-stg via apps/overlays/staging/kustomization.yaml",
      "staging/CronJob/cleanup-stg via apps/overlays/staging/kustomization.yaml",
    ]);
    expect(discovery.skipped).toEqual([]);
    expect(workload("prod", "Deployment", "prod-api").location).toEqual({ path: "apps/base/deployment.yaml", document: 0, yamlPath: [], line: 1, origin: "manifest" });
  });

  it("reports the effective values and which file defines each: a patch file over the base", () => {
    const api = container(workload("prod", "Deployment", "prod-api"), "api");
    expect(api.requests).toEqual({ cpu: "100m", memory: "512Mi" });
    expect(api.limits).toEqual({ memory: "256Mi" });
    expect(definitions(api)).toEqual([
      "requests.cpu=100m apps/base/deployment.yaml:15 (effective)",
      "requests.memory=128Mi apps/base/deployment.yaml:16",
      "limits.memory=256Mi apps/base/deployment.yaml:18 (effective)",
      "requests.memory=512Mi apps/overlays/prod/api-resources.yaml:12 (effective)",
    ]);
    expect(api.location).toEqual({
      path: "apps/overlays/prod/api-resources.yaml",
      document: 0,
      yamlPath: ["spec", "template", "spec", "containers", 0, "resources"],
      line: 10,
      origin: "strategic-merge-patch",
    });
  });

  it("follows an inline JSON6902 patch that adds a container's resources", () => {
    const proxy = container(workload("prod", "Deployment", "prod-api"), "proxy");
    expect(proxy.requests).toEqual({ cpu: "20m" });
    expect(proxy.location).toEqual({
      path: "apps/overlays/prod/kustomization.yaml",
      document: 0,
      yamlPath: ["patches", 1, "patch"],
      line: 17,
      origin: "json6902-patch",
      inlinePatch: { document: 0, yamlPath: [0, "value"] },
    });
    expect(definitions(proxy)[0]).toBe("requests.cpu=20m apps/overlays/prod/kustomization.yaml:18 (effective)");
  });

  it("applies an inline strategic-merge patch selected by target kind", () => {
    const cleanup = container(workload("prod", "CronJob", "prod-cleanup"), "cleanup");
    expect(definitions(cleanup)).toEqual(["requests.cpu=50m apps/base/cronjob.yaml:17 (effective)", "limits.memory=64Mi apps/overlays/prod/kustomization.yaml:35 (effective)"]);
  });

  it("follows patchesStrategicMerge and patchesJson6902 (the deprecated fields), the JSON replace last", () => {
    const api = container(workload("staging", "Deployment", "api-stg"), "api");
    expect(api.requests).toEqual({ cpu: "150m", memory: "128Mi" });
    expect(api.limits).toEqual({ memory: "384Mi" });
    expect(definitions(api)).toEqual([
      "requests.memory=128Mi apps/base/deployment.yaml:16 (effective)",
      "limits.memory=256Mi apps/base/deployment.yaml:18",
      "limits.memory=384Mi apps/overlays/staging/limits.yaml:12 (effective)",
      "requests.cpu=150m apps/overlays/staging/cpu-patch.yaml:4 (effective)",
    ]);
  });

  it("says which containers read a definition another overlay reads too", () => {
    expect(container(workload("prod", "CronJob", "prod-cleanup"), "cleanup").sharedWith).toEqual(["staging/CronJob/cleanup-stg"]);
    expect(container(workload("staging", "CronJob", "cleanup-stg"), "cleanup").sharedWith).toEqual(["prod/CronJob/prod-cleanup"]);
    // Each overlay overrides what the other reads from the base, so editing one never changes the other.
    expect(container(workload("prod", "Deployment", "prod-api"), "api").sharedWith).toEqual([]);
    expect(container(workload("staging", "Deployment", "api-stg"), "api").sharedWith).toEqual([]);
  });
});

describe("kustomize edits land where the effective value is defined", () => {
  it("edits the base for base values, the overlay patch file for patched ones, and the inline JSON6902 patch in place", () => {
    const edited = editedFiles(workload("prod", "Deployment", "prod-api"), [
      { container: "api", requests: { cpu: "200m", memory: "600Mi" }, limits: { memory: "1Gi" } },
      { container: "proxy", requests: { cpu: "25m", memory: "32Mi" } },
    ]);
    expect(edited).toEqual(expectedFiles("prod-api"));
  });

  it("edits an inline strategic-merge patch inside its block scalar", () => {
    expect(editedFiles(workload("prod", "CronJob", "prod-cleanup"), [{ container: "cleanup", limits: { memory: "96Mi" } }])).toEqual(expectedFiles("prod-cleanup"));
  });

  it("edits a JSON6902 patch file's value and a patchesStrategicMerge file", () => {
    const edited = editedFiles(workload("staging", "Deployment", "api-stg"), [{ container: "api", requests: { cpu: "175m", memory: "160Mi" }, limits: { memory: "512Mi" } }]);
    expect(edited).toEqual(expectedFiles("staging-api"));
  });

  it("is idempotent: the same edit on the edited files changes nothing", () => {
    const target = workload("prod", "Deployment", "prod-api");
    const changes: ResourceChange[] = [
      { container: "api", requests: { cpu: "200m", memory: "600Mi" }, limits: { memory: "1Gi" } },
      { container: "proxy", requests: { cpu: "25m", memory: "32Mi" } },
    ];
    const first = editedFiles(target, changes);
    const updated = files.map((file) => ({ path: file.path, text: first.get(file.path) ?? file.text }));
    const again = discoverWorkloads(updated).workloads.find((candidate) => candidate.name === "prod-api")!;
    const outcome = planWorkloadEdit(updated, again, changes);
    expect(outcome).toEqual({ ok: true, edits: [] });
  });

  it("refuses to remove a value a JSON6902 operation sets", () => {
    const outcome = planWorkloadEdit(files, workload("staging", "Deployment", "api-stg"), [{ container: "api", requests: { cpu: null } }]);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.refusal.message).toBe('cannot remove requests.cpu of container "api": a JSON6902 operation in apps/overlays/staging/cpu-patch.yaml sets it; remove that operation by hand');
      expect(outcome.refusal.location).toEqual({ file: "apps/overlays/staging/cpu-patch.yaml", line: 4, workload: "Deployment/api-stg" });
    }
  });

  it("refuses an edit when a file changed since discovery", () => {
    const target = workload("prod", "Deployment", "prod-api");
    const changed = files.map((file) => (file.path === "apps/base/deployment.yaml" ? { ...file, text: file.text.replace("- name: api\n", "- name: renamed\n") } : file));
    const outcome = planWorkloadEdit(changed, target, [{ container: "api", requests: { cpu: "300m" } }]);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.refusal.message).toContain("changed since it was discovered");
  });
});

describe("kustomize edge cases", () => {
  const base: RepoFile[] = [
    { path: "base/kustomization.yaml", text: "resources:\n  - app.yaml\n" },
    {
      path: "base/app.yaml",
      text: [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: app",
        "spec:",
        "  template:",
        "    spec:",
        "      containers:",
        "        - name: app",
        "          resources:",
        "            requests:",
        "              cpu: 100m",
        "        - name: debug",
        "          image: busybox",
        "",
      ].join("\n"),
    },
  ];
  const overlay = (text: string, extra: RepoFile[] = []): DiscoveredWorkload => {
    const found = discoverWorkloads([...base, { path: "overlay/kustomization.yaml", text }, ...extra]);
    expect(found.skipped).toEqual([]);
    return found.workloads[0]!;
  };

  it("refuses to edit an inline patch written as a quoted string, saying why", () => {
    const text = 'resources:\n  - ../base\npatches:\n  - patch: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: app}, spec: {template: {spec: {containers: [{name: app, resources: {requests: {cpu: 300m}}}]}}}}"\n';
    const target = overlay(text);
    expect(target.containers[0]!.requests).toEqual({ cpu: "300m" });
    const outcome = planWorkloadEdit([...base, { path: "overlay/kustomization.yaml", text }], target, [{ container: "app", requests: { cpu: "400m" } }]);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.refusal.message).toBe("cannot edit the inline patch at patches[0].patch in overlay/kustomization.yaml: it is not written as a literal block (`|` or `|-`), so it cannot be changed in place");
    }
  });

  it("refuses to set a value a JSON6902 remove operation deletes, instead of writing one that would be undone", () => {
    const text = "resources:\n  - ../base\npatches:\n  - target: {kind: Deployment, name: app}\n    patch: |-\n      - op: remove\n        path: /spec/template/spec/containers/0/resources\n";
    const target = overlay(text);
    expect(target.containers[0]!.requests).toEqual({});
    const outcome = planWorkloadEdit([...base, { path: "overlay/kustomization.yaml", text }], target, [{ container: "app", requests: { cpu: "400m" } }]);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.refusal.message).toBe('cannot set requests.cpu of container "app": a JSON6902 "remove" operation in overlay/kustomization.yaml deletes it; change that patch by hand');
  });

  it("drops a container a strategic-merge patch deletes", () => {
    const patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: debug\n          $patch: delete\n";
    const target = overlay("resources:\n  - ../base\npatchesStrategicMerge:\n  - no-debug.yaml\n", [{ path: "overlay/no-debug.yaml", text: patch }]);
    expect(target.containers.map((container) => container.name)).toEqual(["app"]);
  });

  it("applies the resources and patches of a component", () => {
    const component: RepoFile[] = [
      { path: "components/big/kustomization.yaml", text: "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: big.yaml\n" },
      { path: "components/big/big.yaml", text: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          resources:\n            requests:\n              cpu: 2\n" },
    ];
    const target = overlay("resources:\n  - ../base\ncomponents:\n  - ../components/big\n", component);
    expect(target.containers[0]!.requests).toEqual({ cpu: "2" });
    expect(target.containers[0]!.definitions.at(-1)!.location.path).toBe("components/big/big.yaml");
  });

  it("skips a remote base and a missing one with the reason", () => {
    const found = discoverWorkloads([{ path: "overlay/kustomization.yaml", text: "resources:\n  - github.com/example/app//base?ref=v1\n  - ../missing\n" }]);
    expect(found.skipped).toEqual([
      { path: "overlay/kustomization.yaml", reason: 'resource "github.com/example/app//base?ref=v1" is remote; remote bases are not fetched, so their workloads are not listed' },
      { path: "overlay/kustomization.yaml", reason: '"../missing" is neither a file nor a directory with a kustomization in the checkout' },
    ]);
  });
});
