import path from "node:path";
import { describe, expect, it } from "vitest";
import { DecisionRecordSchema } from "../../src/recommend/index.js";
import { rightsize } from "../helpers/cli.js";

const EXAMPLES = path.join(import.meta.dirname, "../../examples");
const planArgs = ["plan", "--repo", path.join(EXAMPLES, "config-repo"), "--snapshot", path.join(EXAMPLES, "snapshot.json")];

describe("rightsize plan on the example", () => {
  it("prints decision records with the planned diff, the defining file and drift, as JSON", async () => {
    const { status, stdout, stderr } = await rightsize(...planArgs, "--output", "json");
    expect(status).toBe(0);
    const entries = JSON.parse(stdout) as Array<Record<string, unknown>>;
    for (const entry of entries) DecisionRecordSchema.parse(entry);
    const byName = Object.fromEntries(entries.map((entry) => [(entry.workload as { name: string }).name, entry]));
    expect(Object.keys(byName).sort()).toEqual(["api", "cartservice", "checkout", "frontend", "nightly-report", "search"]);
    expect(Object.fromEntries(entries.map((entry) => [(entry.workload as { name: string }).name, (entry.decision as { action: string }).action]))).toEqual({
      api: "propose",
      cartservice: "hold",
      checkout: "propose",
      frontend: "propose",
      "nightly-report": "propose",
      search: "hold",
    });
    expect(byName.api!.edit).toEqual({
      files: ["kustomize/api/overlays/production/resources-patch.yaml"],
      diff: `diff --git a/kustomize/api/overlays/production/resources-patch.yaml b/kustomize/api/overlays/production/resources-patch.yaml
--- a/kustomize/api/overlays/production/resources-patch.yaml
+++ b/kustomize/api/overlays/production/resources-patch.yaml
@@ -10,5 +10,5 @@
         - name: api
           resources:
             requests:
-              cpu: "2"      # production sizing
-              memory: 4Gi
+              cpu: "1"      # production sizing
+              memory: 2Gi
`,
    });
    expect(byName.api!.definedIn).toEqual(["kustomize/api/overlays/production/resources-patch.yaml"]);
    expect(byName.cartservice!.edit).toBeNull();
    expect(byName.cartservice!.definedIn).toEqual(["charts/shop/values.yaml"]);
    expect(byName.search!.drift).toEqual([{ container: "search", field: "requests.cpu", manifest: "250m", live: "300m" }]);
    expect(byName.frontend!.drift).toEqual([]);
    expect(stderr).toContain("observed but not in the repo: prod/shop/Deployment/legacy-batch");
  });

  it("shows a table, the drift and the diffs as text", async () => {
    const { status, stdout } = await rightsize(...planArgs);
    expect(status).toBe(0);
    // (1 core × 0.031611 + 2GiB × 0.004237) USD × 730 h × 4 pods = 92.30 + 24.74 = 117.04 USD a month.
    expect(stdout).toMatch(/shop\/Deployment\/api\s+api\s+2 → 1 \(−50%\)\s+4Gi → 2Gi \(−50%\)\s+−117\.04 USD\s+SAFE\s+HIGH \(80\)\s+change\s+propose/);
    expect(stdout).toContain("drift prod/shop/Deployment/search search requests.cpu: manifest 250m, live 300m (the manifest is the truth)");
    expect(stdout).toContain("+              cpu: 250m      # sized for the 2025 launch traffic");
  });

  it("renders a markdown report", async () => {
    const { stdout } = await rightsize(...planArgs, "--output", "markdown");
    expect(stdout.startsWith("## rightsize plan\n")).toBe(true);
    expect(stdout).toContain("| `prod` | `shop/Deployment/frontend` | `web` | 500m → **250m** (-50.0%) | 512Mi → **256Mi** (-50.0%) | memory 1Gi | −19.63 USD | SAFE | HIGH (80) | change |");
    // search is held (confidence LOW): its row shows what is set now (the engine computed 125m and 256Mi), and the decision.
    expect(stdout).toContain("| `prod` | `shop/Deployment/search` | `search` | 250m | 512Mi | — | — | CAUTION | LOW (41) | hold |");
    // checkout −2.10 (server +0.60, envoy −2.70), nightly-report −0.23, frontend −19.63, api −117.04 USD.
    expect(stdout).toContain("Monthly cost of the 4 proposals: −139.00 USD (per pod × pods observed).");
    expect(stdout).toContain("### Deployment `shop/frontend` (cluster `prod`): propose");
    expect(stdout).toContain("- observed but not in the repo: `prod/shop/Deployment/legacy-batch`");
  });

  it("without a snapshot observes live and says which cluster setting is missing, with exit 2", async () => {
    const { status, stderr } = await rightsize("plan", "--repo", path.join(EXAMPLES, "config-repo"), "--policy", path.join(import.meta.dirname, "../fixtures/policy/v1alpha1.yml"));
    expect(status).toBe(2);
    expect(stderr).toContain("clusters[0] (default) has no prometheus.url, but observe.source is prometheus; add clusters[].prometheus or set observe.source: metrics-server");
  });

  it("names a snapshot field that is wrong, with exit 2", async () => {
    const { status, stderr } = await rightsize("plan", "--repo", path.join(EXAMPLES, "config-repo"), "--snapshot", path.join(EXAMPLES, "config-repo/.github/rightsize.yml"));
    expect(status).toBe(2);
    expect(stderr).toContain("not valid JSON");
  });
});
