import { describe, expect, it } from "vitest";
import { RefusalError } from "../../src/domain/index.js";
import { discoverWorkloads, editDocumentResources, planWorkloadEdit, type ResourceChange } from "../../src/manifests/index.js";
import { fixture } from "./helpers.js";

function refusalOf(file: string, target: { kind: string; name: string }, changes: ResourceChange[]): RefusalError {
  const outcome = editDocumentResources(fixture("refuse", file), target, changes);
  if (outcome.ok) throw new Error(`expected a refusal, got:\n${outcome.text}`);
  expect(outcome.refusal).toBeInstanceOf(RefusalError);
  return outcome.refusal;
}

describe("refusals name the reason and the line, and change nothing", () => {
  it("refuses a value that comes from an alias shared with another container", () => {
    const refusal = refusalOf("shared-alias.yaml", { kind: "Deployment", name: "shared" }, [{ container: "b", requests: { cpu: "200m" } }]);
    expect(refusal.message).toBe(
      'cannot set requests.cpu of container "b" in Deployment shared: the value comes from alias *defaults (line 14), and its anchor &defaults (line 10) is shared with other places; give this container its own value first',
    );
    expect(refusal.location).toEqual({ line: 14, workload: "Deployment/shared" });
  });

  it("refuses to edit (or add to) the anchored original that an alias reuses", () => {
    for (const change of [{ container: "a", requests: { cpu: "200m" } }, { container: "a", limits: { memory: "1Gi" } }]) {
      const refusal = refusalOf("shared-alias.yaml", { kind: "Deployment", name: "shared" }, [change]);
      expect(refusal.message).toContain("the value is anchored as &defaults (line 10) and reused through *defaults; editing it would change every place that uses it");
      expect(refusal.location.line).toBe(10);
    }
  });

  it("refuses a value that comes through a merge key", () => {
    const refusal = refusalOf("merge-key.yaml", { kind: "Deployment", name: "merged" }, [{ container: "b", requests: { cpu: "200m" } }]);
    expect(refusal.message).toBe(
      'cannot set requests.cpu of container "b" in Deployment merged: the value comes from a merge key "<<:" (line 14); write the container\'s resources out explicitly first',
    );
    expect(refusal.location.line).toBe(14);
  });

  it("refuses a Helm template, naming the line with the template syntax", () => {
    const refusal = refusalOf("helm-template.yaml", { kind: "Deployment", name: "shop" }, [{ container: "app", requests: { cpu: "200m" } }]);
    expect(refusal.message).toBe('cannot edit Deployment "shop": the file contains Helm template syntax ("{{") at line 4; it is not YAML until rendered, so it is not read or edited');
    expect(refusal.location.line).toBe(4);
  });

  it("refuses a file with a duplicate key", () => {
    const refusal = refusalOf("duplicate-keys.yaml", { kind: "Deployment", name: "dup" }, [{ container: "app", requests: { cpu: "200m" } }]);
    expect(refusal.message).toBe(
      'cannot edit Deployment "dup": the file has a duplicate key "cpu" at line 13; Kubernetes would keep only one of them, so remove the other before it can be edited',
    );
  });

  it("refuses a workload defined twice in the file", () => {
    const refusal = refusalOf("defined-twice.yaml", { kind: "Deployment", name: "web" }, [{ container: "app", requests: { cpu: "200m" } }]);
    expect(refusal.message).toBe('Deployment "web" is defined twice in this file (lines 1 and 14); remove one of them first');
  });

  it("refuses a file that does not parse", () => {
    const refusal = refusalOf("does-not-parse.yaml", { kind: "Deployment", name: "broken" }, [{ container: "app", requests: { cpu: "200m" } }]);
    expect(refusal.message).toBe(
      'cannot edit Deployment "broken": the file does not parse as YAML at line 11: Flow map in block collection must be sufficiently indented and end with a }',
    );
  });

  it("refuses a value written as a block scalar", () => {
    const refusal = refusalOf("block-scalar-value.yaml", { kind: "Deployment", name: "folded" }, [{ container: "app", requests: { cpu: "200m" } }]);
    expect(refusal.message).toBe('cannot set requests.cpu of container "app" in Deployment folded: the value is written as a block scalar, which is not edited in place');
    expect(refusal.location.line).toBe(12);
  });

  it("never edits part of a workload: one refused container refuses the whole edit", () => {
    const text = fixture("refuse", "shared-alias.yaml");
    const discovery = discoverWorkloads([{ path: "deploy/shared.yaml", text }]);
    const workload = discovery.workloads[0]!;
    const outcome = planWorkloadEdit([{ path: "deploy/shared.yaml", text }], workload, [
      { container: "a", requests: { cpu: "300m" } },
      { container: "b", requests: { cpu: "200m" } },
    ]);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.refusal.location.file).toBe("deploy/shared.yaml");
    expect("edits" in outcome).toBe(false);
  });
});

describe("discovery skips what it cannot read, with the reason", () => {
  it("lists template, duplicate-key and unparsable files as skipped, and a workload defined twice", () => {
    const names = ["helm-template.yaml", "duplicate-keys.yaml", "does-not-parse.yaml", "defined-twice.yaml"];
    const discovery = discoverWorkloads(names.map((name) => ({ path: `deploy/${name}`, text: fixture("refuse", name) })));
    expect(discovery.workloads).toEqual([]);
    expect(discovery.skipped).toEqual([
      {
        path: "deploy/does-not-parse.yaml",
        reason: "does not parse as YAML at line 11: Flow map in block collection must be sufficiently indented and end with a }",
      },
      {
        path: "deploy/duplicate-keys.yaml",
        reason: 'has a duplicate key "cpu" at line 13; Kubernetes would keep only one of them, so remove the other before it can be edited',
      },
      {
        path: "deploy/helm-template.yaml",
        reason: 'contains Helm template syntax ("{{") at line 4; it is not YAML until rendered, so it is not read or edited',
      },
      {
        path: "deploy/defined-twice.yaml",
        reason: "Deployment web is defined twice (deploy/defined-twice.yaml:1 and deploy/defined-twice.yaml:14); rightsize cannot tell which one is applied, so none is edited",
      },
    ]);
  });

  it("reads {{ inside block scalars and comments as data, not as a template", () => {
    const text = [
      "# rendered by {{ nothing }}",
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata:",
      "  name: alerts",
      "  annotations:",
      "    rule: |",
      "      {{ $labels.instance }} is down",
      "spec:",
      "  template:",
      "    spec:",
      "      containers:",
      "        - name: app",
      "",
    ].join("\n");
    const discovery = discoverWorkloads([{ path: "alerts.yaml", text }]);
    expect(discovery.skipped).toEqual([]);
    expect(discovery.workloads.map((workload) => workload.name)).toEqual(["alerts"]);
  });
});
