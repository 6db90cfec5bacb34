import { describe, expect, it } from "vitest";
import { isNamespaceSelected, isWorkloadSelected, loadPolicy } from "../../src/policy/index.js";

const policyWith = (selector: string) =>
  loadPolicy({ path: "p.yml", text: `apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nselector:\n${selector}` }).policy;

describe("the policy selector (SPEC §7)", () => {
  it("selects every namespace but the denied ones when allow is empty", () => {
    const policy = policyWith("  namespaces: {deny: [kube-system]}\n");
    expect(isNamespaceSelected(policy, "shop")).toBe(true);
    expect(isNamespaceSelected(policy, "kube-system")).toBe(false);
  });

  it("lets deny win over allow", () => {
    const policy = policyWith("  namespaces: {allow: [shop, payments], deny: [payments]}\n");
    expect(["shop", "payments", "search"].filter((namespace) => isNamespaceSelected(policy, namespace))).toEqual(["shop"]);
  });

  it("selects a workload only when its kind is listed too", () => {
    const policy = policyWith("  kinds: [Deployment]\n");
    expect(isWorkloadSelected(policy, { kind: "Deployment", namespace: "shop" })).toBe(true);
    expect(isWorkloadSelected(policy, { kind: "CronJob", namespace: "shop" })).toBe(false);
    expect(isWorkloadSelected(policy, { kind: "Deployment", namespace: "kube-system" })).toBe(false);
  });
});
