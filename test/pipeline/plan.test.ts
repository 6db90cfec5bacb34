import { readFileSync } from "node:fs";
import path from "node:path";
import { TOOL } from "../../src/version.js";
import { describe, expect, it } from "vitest";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { planRepository, readWorkingTreeFiles } from "../../src/pipeline/index.js";
import { loadPolicy } from "../../src/policy/index.js";

const EXAMPLES = path.join(import.meta.dirname, "../../examples");
const snapshot = parseObservationSnapshotText(readFileSync(path.join(EXAMPLES, "snapshot.json"), "utf8"));
const policyText = readFileSync(path.join(EXAMPLES, "config-repo/.github/rightsize.yml"), "utf8");

async function planWith(selector: string) {
  const loaded = loadPolicy({ path: ".github/rightsize.yml", text: `${policyText}selector:\n${selector}` });
  return planRepository({ tool: TOOL, files: await readWorkingTreeFiles(path.join(EXAMPLES, "config-repo")), loaded, snapshot, at: snapshot.createdAt });
}

describe("planning the example with a selector", () => {
  it("leaves an excluded container unchanged and out of the edit", async () => {
    const plan = await planWith("  containers: {exclude: [envoy]}\n");
    const checkout = plan.workloads.find((workload) => workload.ref.name === "checkout")!;
    const envoy = checkout.record.containers.find((container) => container.name === "envoy")!;
    expect(envoy.action).toBe("none");
    expect(envoy.reasons).toEqual(["left unchanged: excluded by the policy (selector.containers.exclude)"]);
    const diff = checkout.edits.map((edit) => edit.diff).join("");
    expect(diff).not.toContain("requests: {cpu: 50m, memory: 64Mi}");
    // The server's CPU stays: p90 170m × 1.15 (p99 220m ÷ p90 170m = 1.29, capped; its restarts are OOM kills, memory
    // evidence) = 195.5m → 200m, its current request; its memory follows the OOM rule: 256Mi + 100Mi = 356Mi.
    expect(diff).not.toContain("cpu: 220m");
    expect(diff).toContain("+            memory: 356Mi\n");
  });

  it("drops workloads of unselected kinds and denied namespaces from both sides of the match", async () => {
    const byKind = await planWith("  kinds: [CronJob]\n");
    expect(byKind.workloads.map((workload) => workload.ref.name)).toEqual(["nightly-report"]);
    expect(byKind.notInRepo).toEqual([]);
    const denied = await planWith("  namespaces: {deny: [shop]}\n");
    expect(denied.workloads).toEqual([]);
    expect(denied.notObserved).toEqual([]);
    expect(denied.notInRepo).toEqual([]);
  });
});

describe("planning a workload with a sidecar injected at admission", () => {
  it("proposes the manifest's containers and reports the injected one in the decision", async () => {
    const withVault = structuredClone(snapshot);
    const frontend = withVault.workloads.find((observation) => observation.workload.name === "frontend")!;
    frontend.containers.push({ ...structuredClone(frontend.containers[0]!), name: "vault-agent" });
    const loaded = loadPolicy({ path: ".github/rightsize.yml", text: policyText });
    const plan = planRepository({ tool: TOOL, files: await readWorkingTreeFiles(path.join(EXAMPLES, "config-repo")), loaded, snapshot: withVault, at: withVault.createdAt });
    const planned = plan.workloads.find((workload) => workload.ref.name === "frontend")!;
    expect(planned.record.decision.action).toBe("propose");
    expect(planned.record.decision.reasons.at(-1)).toBe(
      'container "vault-agent" runs in the cluster but is not in the manifest (injected at admission?); it is left out — add it to selector.containers.exclude to silence this',
    );
    // The edit is the one the example gets without the sidecar (see test/pipeline/demo.test.ts).
    expect(planned.edits.map((edit) => edit.diff).join("")).toContain("+              cpu: 250m      # sized for the 2025 launch traffic\n");
  });
});
