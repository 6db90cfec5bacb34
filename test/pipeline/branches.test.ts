import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { decisionRecordPath } from "../../src/pipeline/index.js";
import { namespaceBranch, proposalBranch } from "../../src/pipeline/propose/branches.js";

const isValidRef = (branch: string) => {
  try {
    execFileSync("git", ["check-ref-format", `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
};

describe("branch and record names (SPEC §8)", () => {
  it("keeps Kubernetes names as they are", () => {
    const ref = { cluster: "prod", namespace: "shop", kind: "Deployment" as const, name: "frontend" };
    expect(proposalBranch(ref)).toBe("rightsize/prod/shop/deployment-frontend");
    expect(decisionRecordPath(ref)).toBe(".rightsize/decisions/prod/shop/deployment-frontend.json");
    expect(namespaceBranch("prod", "shop")).toBe("rightsize/prod/shop");
  });

  it("makes a name git would refuse a valid ref, still unique", () => {
    const lock = proposalBranch({ cluster: "prod", namespace: "shop", kind: "Deployment", name: "app.lock" });
    expect(lock).toMatch(/^rightsize\/prod\/shop\/deployment-app-lock-[0-9a-f]{8}$/);
    expect(isValidRef(lock)).toBe(true);
    expect(lock).not.toBe(proposalBranch({ cluster: "prod", namespace: "shop", kind: "Deployment", name: "app-lock" }));
  });

  it.each(["eu west", "a..b", ".hidden", "x~1^2:3?*[", "trailing.", "-dash", "../../.github/workflows", ""])("makes the cluster name %j a valid ref and a safe path segment", (cluster) => {
    const branch = proposalBranch({ cluster, namespace: "shop", kind: "Deployment", name: "web" });
    expect(isValidRef(branch)).toBe(true);
    const record = decisionRecordPath({ cluster, namespace: "shop", kind: "Deployment", name: "web" });
    expect(record.split("/").every((part) => part !== "" && part !== "." && part !== "..")).toBe(true);
  });
});
