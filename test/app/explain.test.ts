import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { loadPolicy } from "../../src/policy/index.js";
import { recommendSnapshot } from "../../src/recommend/index.js";
import { TOOL } from "../../src/version.js";
import { renderExplanation } from "../../src/app/render/explain.js";
import { container, MI, recommend, usage, workload } from "../recommend/builders.js";

const RESTARTS = "kube_pod_container_status_restarts_total";

describe("/rightsize explain with unknown evidence (SPEC §4)", () => {
  it("is shown as unknown, with the metric, by /rightsize explain", () => {
    const text = renderExplanation([recommend(observedWith({ restarts: RESTARTS, oomKills: RESTARTS, throttling: "container_cpu_cfs_periods_total" }, { limits: { cpu: "1" } }))]);
    expect(text).toContain(`- Evidence: OOM kills unknown (no \`${RESTARTS}\`), restarts unknown (no \`${RESTARTS}\`), CPU throttling unknown (no \`container_cpu_cfs_periods_total\`).\n`);
  });
});

function observedWith(unknown: Record<string, string>, spec: Parameters<typeof container>[0] = {}) {
  return workload({ containers: [container({ requests: { cpu: "500m", memory: "1Gi" }, memory: usage({ p95: 240 * MI, max: 250 * MI }), ...spec, unknown })] });
}

describe("/rightsize explain reads as plain arithmetic", () => {
  const EXAMPLES = path.join(import.meta.dirname, "../../examples");
  const POLICY_FILE = path.join(EXAMPLES, "config-repo/.github/rightsize.yml");
  const snapshot = parseObservationSnapshotText(readFileSync(path.join(EXAMPLES, "snapshot.json"), "utf8"));
  const loaded = loadPolicy({ path: POLICY_FILE, text: readFileSync(POLICY_FILE, "utf8") });
  const records = [...recommendSnapshot(snapshot, { tool: TOOL, policy: loaded.policy, policySource: loaded.source, at: snapshot.createdAt })];
  const record = (name: string) => records.find((candidate) => candidate.workload.name === name)!;

  it("says each number once: the statistic, where the margin comes from, the product, then each step", () => {
    expect(renderExplanation([record("checkout")], "server")).toBe(
      [
        "rightsize derived this proposal as follows (decision records of 2026-11-23T06:00:00Z; usage from 2026-11-16T06:00:00Z to 2026-11-23T06:00:00Z):",
        "",
        "#### `server` in Deployment `shop/checkout` (cluster `prod`)",
        "",
        "- Safety **CAUTION**: cpu SAFE, memory CAUTION (2 OOM kills in the window; 2 restarts in the window).",
        // min(80, 94, 100) − 5 per restart × 2 = 70.
        "- Confidence **MEDIUM**: min(window 7d: 80, coverage 97%: 94, samples 19,800: 100) − 10 (restarts 2) = 70 of 100.",
        "- CPU request: stays 200m.",
        "  - The p90 of usage is 170m.",
        // 220m ÷ 170m = 1.294 > 1.15.
        "  - The spread p99/p90 = 220m/170m = 1.294 is capped at 1.15: the margin is 1.15.",
        "  - 170m × 1.15 = 195.5m.",
        "  - Rounded up to 200m (a multiple of 5m).",
        "- Memory request: 256Mi now, **356Mi** proposed (+39.1%).",
        "  - The max of usage is 255Mi.",
        "  - No margin: after an OOM kill the OOM rule sizes memory, with no margin on top.",
        "  - 255Mi × 1 = 255Mi.",
        // max(256Mi + 100Mi, 256Mi × 1.2 = 307.2Mi) = 356Mi.
        "  - Raised to 356Mi: the OOM rule max(used + 100Mi, used × 1.2) with used = 256Mi (the current limit).",
        "- Evidence: 2 OOM kills, 2 restarts, CPU throttled in 2.0% of periods.",
        "- Also:",
        "  - memory not lowered: 2 OOM kills in the window, last 2026-11-20T03:12Z",
        "  - memory limit from 256Mi to 356Mi: raised to the OOM rule's 356Mi: the container was OOM-killed at its limit 256Mi",
        "- Action: **change**.",
      ].join("\n"),
    );
  });

  it("says a held request stays, and which margin the rating set over the spread's", () => {
    const text = renderExplanation([record("search")]);
    expect(text).toContain(
      [
        "- CPU request: stays 300m (150m is not proposed).",
        "  - The p90 of usage is 45m.",
        // 60m ÷ 45m = 1.333, capped at 1.15; the CAUTION rating (LOW confidence) sets 1.3.
        "  - The margin is 1.3, the CAUTION rating's for CPU; the spread p99/p90 = 60m/45m = 1.333 would give 1.15.",
        "  - 45m × 1.3 = 58.5m.",
        "  - Rounded up to 60m (a multiple of 5m).",
        "  - Lowered only to 150m in one proposal (maxDecreasePercent 50%; the target 60m is reached in later steps).",
      ].join("\n"),
    );
    expect(text).toContain("- Also:\n  - waiting for data: confidence LOW (41) is below the policy minimum MEDIUM (apply.minConfidence)\n");
  });

  it("has no arrows and no line twice in a container's explanation, for every example workload", () => {
    for (const candidate of records) {
      const text = renderExplanation([candidate]);
      expect(text, candidate.workload.name).not.toContain("→");
      for (const section of text.split("\n\n#### ").slice(1)) {
        const lines = section.split("\n").filter((line) => line.trim() !== "");
        expect(new Set(lines).size, `${candidate.workload.name}: ${section}`).toBe(lines.length);
      }
    }
  });
});
