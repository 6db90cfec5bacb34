import { describe, expect, it } from "vitest";
import type { ObservationSnapshot } from "../../src/domain/index.js";
import { planRepository } from "../../src/pipeline/index.js";
import { loadPolicy } from "../../src/policy/index.js";
import { fixtureRepo } from "../manifests/helpers.js";
import { container, workload } from "../recommend/builders.js";
import { TOOL } from "../../src/version.js";

/**
 * Issue 11 item 3 end to end: production and staging are two policy targets over one repository
 * whose overlays build the same bases (podinfo's layout). Each proposal lands in its own overlay.
 */
const files = fixtureRepo("shared-bases");
const loaded = loadPolicy({
  path: ".github/rightsize.yml",
  text: [
    "apiVersion: rightsize.dev/v1alpha2",
    "kind: RightsizePolicy",
    "targets:",
    '  - paths: ["deploy/overlays/production/**"]',
    "    cluster: prod",
    '  - paths: ["deploy/overlays/staging/**"]',
    "    cluster: staging",
    "",
  ].join("\n"),
});

/** The builders' default usage: CPU p95 0.18 cores, memory max 250Mi, 14 days, full coverage. */
function observed(cluster: string, namespace: string) {
  const base = workload({ name: "frontend", containers: [container({ name: "frontend", requests: { cpu: "100m", memory: "32Mi" }, limits: { cpu: "1000m", memory: "512Mi" } })] });
  return { ...base, workload: { ...base.workload, cluster, namespace } };
}

const snapshot: ObservationSnapshot = { schemaVersion: 1, kind: "ObservationSnapshot", createdAt: "2026-11-21T06:00:00Z", workloads: [observed("prod", "production"), observed("staging", "staging")] };

describe("plan with two targets over shared kustomize bases", () => {
  it("proposes each environment's frontend in its own overlay and never edits deploy/bases", () => {
    const plan = planRepository({ tool: TOOL, files, loaded, snapshot, at: "2026-11-21T06:00:00Z" });
    const frontends = plan.workloads.filter((planned) => planned.ref.name === "frontend");
    expect(frontends.map((planned) => `${planned.ref.cluster} ${planned.record.decision.action}: ${planned.edits.map((edit) => edit.path).join(", ")}`)).toEqual([
      "prod propose: deploy/overlays/production/kustomization.yaml, deploy/overlays/production/frontend-resources.yaml",
      "staging propose: deploy/overlays/staging/kustomization.yaml, deploy/overlays/staging/frontend-resources.yaml",
    ]);
    // 0.18 cores × 1.15 (SAFE) = 0.207 → 210m; 250Mi × 1.15 = 287.5Mi → 288Mi (rounded up to 1Mi).
    const patch = frontends[0]!.edits[1]!.after;
    expect(patch).toContain("            requests:\n              cpu: 210m\n              memory: 288Mi\n");
    expect(frontends[1]!.edits[0]!.after).toBe(
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: staging\nresources:\n  - ../../bases/backend\n  - ../../bases/frontend\npatches:\n  - path: frontend-resources.yaml\n",
    );
  });
});
