import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { discoverWorkloads, planWorkloadEdit, type DiscoveredWorkload, type DiscoverOptions, type RepoFile, type ResourceChange } from "../../src/manifests/index.js";
import { FIXTURES, fixtureRepo } from "./helpers.js";

const HELM: DiscoverOptions["helm"] = [
  { values: "charts/shop/values.yaml", path: "cartService.resources", workload: { kind: "Deployment", name: "cartservice", container: "server" }, namespace: "shop" },
  { values: "charts/shop/values.yaml", path: "frontend.resources", workload: { kind: "Deployment", name: "frontend", container: "frontend" }, namespace: "shop-staging" },
  { values: "releases/frontend.yaml", path: "frontend.resources", workload: { kind: "Deployment", name: "frontend", container: "frontend" } },
];

const files = fixtureRepo("plain");
const discovery = discoverWorkloads(files, { defaultNamespace: "apps-default", helm: HELM });

/** One line per container: identity, role, values as written, and where its resources are. */
function rows(workloads: DiscoveredWorkload[]): string[] {
  return workloads.flatMap((workload) =>
    workload.containers.map((container) => {
      const values = [container.requests.cpu, container.requests.memory, container.limits.cpu, container.limits.memory].map((value) => value ?? "-").join(" ");
      return `${workload.namespace}/${workload.kind}/${workload.name} ${container.name} (${container.role}) ${values} @ ${container.location.path}:${container.location.line}`;
    }),
  );
}

function find(namespace: string, kind: string, name: string): DiscoveredWorkload {
  return discovery.workloads.find((workload) => workload.namespace === namespace && workload.kind === kind && workload.name === name)!;
}

function edit(workload: DiscoveredWorkload, changes: ResourceChange[]): Map<string, string> {
  const outcome = planWorkloadEdit(files, workload, changes);
  if (!outcome.ok) throw new Error(outcome.refusal.message);
  return new Map(outcome.edits.map((fileEdit) => [fileEdit.path, fileEdit.after]));
}

function expected(name: string, file: string): Map<string, string> {
  return new Map([[file, readFileSync(path.join(FIXTURES, "repos", "plain.expected", name, file), "utf8")]]);
}

describe("discovery of plain manifests and Helm values", () => {
  it("lists every workload and container with role, current values and the file and line of its resources", () => {
    expect(rows(discovery.workloads)).toEqual([
      "shop/Rollout/checkout api (container) 500m - - - @ apps/checkout.yaml:24",
      "shop/Deployment/checkout-template api (container) 500m - - - @ apps/checkout.yaml:24",
      "batch/CronJob/report report (container) - 2Gi - - @ apps/report.yaml:15",
      "shop/Deployment/web web (container) 250m 256Mi - - @ apps/web.yaml:21",
      "apps-default/StatefulSet/worker worker (container) - - 1 1Gi @ apps/worker.yaml:20",
      "apps-default/StatefulSet/worker init-db (init) - - - - @ apps/worker.yaml:9",
      "apps-default/StatefulSet/worker mesh (sidecar) 10m - - - @ apps/worker.yaml:14",
      "shop/Deployment/cartservice server (container) 200m 256Mi - - @ charts/shop/values.yaml:6",
      "shop-staging/Deployment/frontend frontend (container) - - - - @ charts/shop/values.yaml:11",
      "web/Deployment/frontend frontend (container) - - - 512Mi @ releases/frontend.yaml:13",
    ]);
  });

  it("skips files with template syntax outside charts/*/templates with the reason, and leaves chart templates out silently", () => {
    expect(discovery.skipped).toEqual([
      { path: "templates/job.yaml", reason: 'contains Helm template syntax ("{{") at line 10; it is not YAML until rendered, so it is not read or edited' },
    ]);
  });

  it("records the document index and YAML path of each workload", () => {
    expect(find("shop", "Deployment", "web").location).toEqual({ path: "apps/web.yaml", document: 1, yamlPath: [], line: 10, origin: "manifest" });
    expect(find("web", "Deployment", "frontend").location).toEqual({ path: "releases/frontend.yaml", document: 0, yamlPath: ["spec", "values"], line: 11, origin: "helm-values" });
    expect(find("batch", "CronJob", "report").containers[0]!.location.yamlPath).toEqual(["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "resources"]);
  });

  it("edits the Deployment a Rollout's workloadRef points at", () => {
    expect(edit(find("shop", "Rollout", "checkout"), [{ container: "api", requests: { cpu: "400m" } }])).toEqual(expected("checkout", "apps/checkout.yaml"));
  });

  it("edits a Helm values resources block at the policy's values path", () => {
    expect(edit(find("shop", "Deployment", "cartservice"), [{ container: "server", requests: { cpu: "150m" } }])).toEqual(expected("cartservice", "charts/shop/values.yaml"));
  });

  it("adds a missing resources block under the values path", () => {
    expect(edit(find("shop-staging", "Deployment", "frontend"), [{ container: "frontend", requests: { cpu: "100m", memory: "128Mi" } }])).toEqual(
      expected("frontend-values", "charts/shop/values.yaml"),
    );
  });

  it("edits a Flux HelmRelease's spec.values", () => {
    expect(edit(find("web", "Deployment", "frontend"), [{ container: "frontend", requests: { cpu: "80m" } }])).toEqual(expected("frontend-release", "releases/frontend.yaml"));
  });

  it("skips a Helm target whose values file is missing, saying so", () => {
    const result = discoverWorkloads(files, { helm: [{ values: "charts/none/values.yaml", path: "a.resources", workload: { kind: "Deployment", name: "a", container: "a" } }] });
    expect(result.skipped).toContainEqual({ path: "charts/none/values.yaml", reason: "the Helm values file is not in the checkout" });
  });
});

const deployment = (name: string, namespace?: string): string =>
  [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    `  name: ${name}`,
    ...(namespace ? [`  namespace: ${namespace}`] : []),
    "spec:",
    "  template:",
    "    spec:",
    "      containers:",
    "        - name: app",
    "",
  ].join("\n");

function names(repo: RepoFile[], options?: DiscoverOptions): string[] {
  return discoverWorkloads(repo, options).workloads.map((workload) => `${workload.namespace ?? "-"}/${workload.name}`);
}

describe("which files are scanned", () => {
  const repo: RepoFile[] = [
    { path: "node_modules/chart/deploy.yaml", text: deployment("vendored") },
    { path: ".git/hooks/deploy.yaml", text: deployment("git") },
    { path: "deploy/a.yml", text: deployment("a") },
    { path: "deploy/b.yaml", text: deployment("b") },
    { path: "other/c.yaml", text: deployment("c") },
    { path: "README.md", text: deployment("readme") },
  ];

  it("scans **/*.{yaml,yml} without .git and node_modules by default", () => {
    expect(names(repo)).toEqual(["-/a", "-/b", "-/c"]);
  });

  it("takes include and exclude globs from the policy", () => {
    expect(names(repo, { include: ["deploy/**"], exclude: ["**/b.yaml"] })).toEqual(["-/a"]);
  });
});

describe("namespace: manifest, then kustomization, then the target default", () => {
  const repo: RepoFile[] = [
    { path: "base/kustomization.yaml", text: "resources:\n  - app.yaml\n" },
    { path: "base/app.yaml", text: deployment("app", "from-manifest") },
    { path: "overlays/prod/kustomization.yaml", text: "namespace: prod\nresources:\n  - ../../base\n" },
    { path: "overlays/plain/kustomization.yaml", text: "nameSuffix: -plain\nresources:\n  - ../../base\n" },
    { path: "loose/kustomization.yaml", text: "resources:\n  - tool.yaml\n" },
    { path: "loose/tool.yaml", text: deployment("tool") },
  ];

  it("uses the manifest's namespace, replaced by a kustomization namespace as kustomize does, else the default", () => {
    expect(names(repo, { defaultNamespace: "fallback" })).toEqual(["fallback/tool", "from-manifest/app-plain", "prod/app"]);
  });

  it("leaves the namespace undefined when nothing names one", () => {
    expect(names([{ path: "a.yaml", text: deployment("a") }])).toEqual(["-/a"]);
  });
});
