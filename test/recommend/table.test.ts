import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { loadPolicy } from "../../src/policy/index.js";
import { decisionRows, recommendSnapshot, renderDecisionTable, type DecisionRecord } from "../../src/recommend/index.js";
import { TOOL } from "../../src/version.js";

const EXAMPLES = path.join(import.meta.dirname, "../../examples");
const POLICY_FILE = path.join(EXAMPLES, "config-repo/.github/rightsize.yml");

/** The example's decision records, with the example's policy, at the snapshot's time. */
function exampleRecords(edit: (snapshot: ReturnType<typeof parseObservationSnapshotText>) => void = () => {}): DecisionRecord[] {
  const snapshot = parseObservationSnapshotText(readFileSync(path.join(EXAMPLES, "snapshot.json"), "utf8"));
  edit(snapshot);
  const loaded = loadPolicy({ path: POLICY_FILE, text: readFileSync(POLICY_FILE, "utf8") });
  return [...recommendSnapshot(snapshot, { tool: TOOL, policy: loaded.policy, policySource: loaded.source, at: snapshot.createdAt })];
}

const rowOf = (table: string, workload: string) => table.split("\n").find((line) => line.includes(` ${workload} `));

describe("the decision table", () => {
  it("shows a held workload's current requests, not the change it does not propose", () => {
    const records = exampleRecords();
    const search = records.find((record) => record.workload.name === "search")!;
    // The engine computed 300m → 150m and 512Mi → 256Mi, but confidence LOW (41) < MEDIUM holds the workload.
    expect(search.decision.action).toBe("hold");
    expect(search.containers[0]!.recommended.requests).toEqual({ cpu: "150m", memory: "256Mi" });
    const table = renderDecisionTable(records);
    expect(rowOf(table, "shop/Deployment/search")).toBe("prod     shop/Deployment/search        search     300m                512Mi                   -            CAUTION  LOW (41)     none    hold");
    expect(decisionRows([search])[0]).toMatchObject({ cpu: { current: "300m", proposed: "300m", changePercent: null }, memory: { current: "512Mi", proposed: "512Mi", changePercent: null }, monthlyCost: null });
  });

  it("shows a blocked workload's current requests too", () => {
    const records = exampleRecords((snapshot) => {
      snapshot.workloads.find((observation) => observation.workload.name === "frontend")!.problems = ["Prometheus answered 403 for namespace shop"];
    });
    expect(rowOf(renderDecisionTable(records), "shop/Deployment/frontend")).toMatch(/^prod +shop\/Deployment\/frontend +web +500m +512Mi +- +/);
  });

  it("names the cluster in every row: the same workload in two clusters is two rows anyone can tell apart", () => {
    const records = exampleRecords((snapshot) => {
      const frontend = snapshot.workloads.find((observation) => observation.workload.name === "frontend")!;
      snapshot.workloads = [frontend, { ...structuredClone(frontend), workload: { ...frontend.workload, cluster: "staging" } }];
    });
    const lines = renderDecisionTable(records).split("\n");
    expect(lines[0]).toBe("CLUSTER  WORKLOAD                  CONTAINER  CPU REQUEST         MEMORY REQUEST        PER MONTH   SAFETY  CONFIDENCE  ACTION  DECISION");
    expect(lines[1]).toBe("prod     shop/Deployment/frontend  web        500m → 250m (−50%)  512Mi → 256Mi (−50%)  −19.63 USD  SAFE    HIGH (80)   change  propose");
    expect(lines[2]).toBe("staging  shop/Deployment/frontend  web        500m → 250m (−50%)  512Mi → 256Mi (−50%)  −19.63 USD  SAFE    HIGH (80)   change  propose");
  });

  it("paints decreases good, increases as warnings and ratings by their risk, padding by the plain text", () => {
    const records = exampleRecords((snapshot) => {
      snapshot.workloads = snapshot.workloads.filter((observation) => observation.workload.name === "checkout");
    });
    const paint = (text: string, tone: string) => `<${tone}>${text}</>`;
    const lines = renderDecisionTable(records, { paint }).split("\n");
    // server: memory up 256Mi → 356Mi (the OOM rule), rated CAUTION; envoy: both down, SAFE.
    expect(lines[1]).toBe("prod     shop/Deployment/checkout  server     200m               <warn>256Mi → 356Mi (+39.1%)</>  +0.60 USD  <warn>CAUTION</>  MEDIUM (70)  change  propose");
    expect(lines[2]).toBe("prod     shop/Deployment/checkout  envoy      <good>100m → 50m (−50%)</>  <good>128Mi → 64Mi (−50%)</>     −2.70 USD  <good>SAFE</>     HIGH (80)    change  propose");
  });
});
