import { describe, expect, it } from "vitest";
import { parseYaml, type EditOperation } from "../../src/yaml/index.js";
import { verifyEdit } from "../../src/manifests/verify.js";

/**
 * The read-back guard: an edited text must hold the original documents with exactly the targeted
 * values changed. Everything beside the path to the changes is compared node by node, the part the
 * changes reach as shapes; both must catch the same changes a whole-document comparison catches.
 */
const before = [
  "apiVersion: apps/v1",
  "kind: Deployment",
  "metadata: {name: web, labels: {app: web}}",
  "spec:",
  "  template:",
  "    spec:",
  "      containers:",
  "        - name: web",
  "          image: web:1",
  "          resources:",
  "            requests:",
  "              cpu: 100m",
  "        - name: proxy",
  "          resources: {limits: {memory: 64Mi}}",
  "---",
  "apiVersion: v1",
  "kind: Service",
  "metadata: {name: web}",
  "",
].join("\n");

const CPU = ["spec", "template", "spec", "containers", 0, "resources", "requests", "cpu"];
const setCpu: EditOperation = { kind: "set", document: 0, yamlPath: CPU, value: "250m" };

function verify(after: string, operations: EditOperation[] = [setCpu]): string | undefined {
  return verifyEdit(parseYaml(before).documents, parseYaml(after), operations);
}

describe("the read-back guard of an edit", () => {
  it("accepts the targeted value changed and nothing else", () => {
    expect(verify(before.replace("cpu: 100m", "cpu: 250m"))).toBeUndefined();
  });

  it("accepts a new key added where the mapping was missing", () => {
    const operation: EditOperation = { kind: "set", document: 0, yamlPath: ["spec", "template", "spec", "containers", 0, "resources", "limits", "memory"], value: "1Gi" };
    expect(verify(before.replace("cpu: 100m\n", "cpu: 100m\n            limits:\n              memory: 1Gi\n"), [operation])).toBeUndefined();
  });

  it("accepts a removal that takes its emptied mappings with it", () => {
    const operation: EditOperation = { kind: "remove", document: 0, yamlPath: CPU, collapse: 2 };
    expect(verify(before.replace("          resources:\n            requests:\n              cpu: 100m\n", ""), [operation])).toBeUndefined();
  });

  it("names the value that reads back differently", () => {
    expect(verify(before.replace("cpu: 100m", "cpu: 300m"))).toBe("spec.template.spec.containers[0].resources.requests.cpu would read back as \"300m\" instead of 250m");
  });

  it.each([
    ["a sibling of the value", "cpu: 100m", "cpu: 250m\n              memory: 1Gi"],
    ["a key of the same container", "image: web:1", "image: web:2"],
    ["another container", "memory: 64Mi", "memory: 65Mi"],
    ["a key far above the value", "labels: {app: web}", "labels: {app: api}"],
    ["another document", "metadata: {name: web}\n", "metadata: {name: api}\n"],
    ["an anchor on the path", "    spec:\n      containers:", "    spec: &pod\n      containers:"],
    ["a tag on the path", "          resources:\n            requests:", "          resources: !!map\n            requests:"],
  ])("refuses an edit that also changes %s", (_, from, to) => {
    const after = before.replace("cpu: 100m", "cpu: 250m").replace(from === "cpu: 100m" ? "cpu: 250m" : from, to);
    expect(verify(after)).toBe("the edit would change more than the targeted values");
  });

  it("compares mappings by their keys, not their order, as reading them does", () => {
    const reordered = before.replace("cpu: 100m", "cpu: 250m").replace("          image: web:1\n          resources:\n            requests:\n              cpu: 250m\n", "          resources:\n            requests:\n              cpu: 250m\n          image: web:1\n");
    expect(verify(reordered)).toBeUndefined();
  });
});
