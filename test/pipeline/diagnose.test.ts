import { readFileSync } from "node:fs";
import path from "node:path";
import { TOOL } from "../../src/version.js";
import { describe, expect, it } from "vitest";
import { parseObservationSnapshotText, type ObservationSnapshot } from "../../src/domain/index.js";
import { diagnosePlan, planRepository, readWorkingTreeFiles } from "../../src/pipeline/index.js";
import { loadPolicy } from "../../src/policy/index.js";
import { rightsize } from "../helpers/cli.js";

/*
 * Issue 11: "no workloads" with exit 0 when the snapshot was taken under another cluster name
 * or a target glob matches nothing. The diagnosis says what matched what and how to fix it.
 * The example repo has 6 workloads in namespace shop under targets[0] (cluster prod); its
 * snapshot 7 workloads in prod/shop.
 */

const EXAMPLES = path.join(import.meta.dirname, "../../examples");
const snapshot = parseObservationSnapshotText(readFileSync(path.join(EXAMPLES, "snapshot.json"), "utf8"));
const policyText = readFileSync(path.join(EXAMPLES, "config-repo/.github/rightsize.yml"), "utf8");
const TARGET = 'targets[0] paths ["apps/**/*.yaml", "kustomize/api/overlays/production/**"] for cluster "prod": 6 files, 6 workloads, 0 observed';

async function diagnose(observed: ObservationSnapshot, text = policyText) {
  const loaded = loadPolicy({ path: ".github/rightsize.yml", text });
  const plan = planRepository({ tool: TOOL, files: await readWorkingTreeFiles(path.join(EXAMPLES, "config-repo")), loaded, snapshot: observed, at: observed.createdAt });
  return diagnosePlan(plan, observed);
}

function relabelled(change: (workload: ObservationSnapshot["workloads"][number]["workload"]) => void): ObservationSnapshot {
  const copy = structuredClone(snapshot);
  for (const observation of copy.workloads) change(observation.workload);
  return copy;
}

describe("diagnosePlan", () => {
  it("has nothing to say when workloads matched", async () => {
    expect(await diagnose(snapshot)).toEqual({ nothingMatched: false, lines: [] });
  });

  it("names the cluster the snapshot observed and the one the targets name, and the flag that fixes it", async () => {
    expect(await diagnose(relabelled((workload) => (workload.cluster = "default")))).toEqual({
      nothingMatched: true,
      lines: [
        "nothing to recommend: no workload of the repository matched an observation",
        `  ${TARGET}`,
        '  the snapshot: 7 workloads in cluster "default", namespace "shop"',
        `the snapshot observed cluster "default" but the policy's targets name "prod"; pass --cluster prod to rightsize snapshot, or rename the target`,
      ],
    });
  });

  it("names a target glob that matches no file, even when the target's other glob matches", async () => {
    const diagnosis = await diagnose(snapshot, policyText.replace('"apps/**/*.yaml", ', '"app/**", '));
    expect(diagnosis.lines[0]).toBe('target paths ["app/**"] match no file; fix targets[0].paths (globs relative to the repository root)');
    // The kustomize overlay still matches: api is planned, so this is a warning, not "nothing matched".
    expect(diagnosis.nothingMatched).toBe(false);
  });

  it("says when every glob matches nothing", async () => {
    const diagnosis = await diagnose(snapshot, 'apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\ntargets:\n  - paths: ["manifests/**"]\n    cluster: prod\n');
    expect(diagnosis).toEqual({
      nothingMatched: true,
      lines: [
        'target paths ["manifests/**"] match no file; fix targets[0].paths (globs relative to the repository root)',
        "nothing to recommend: no workload of the repository matched an observation",
        '  targets[0] paths ["manifests/**"] for cluster "prod": 0 files, 0 workloads, 0 observed',
        '  the snapshot: 7 workloads in cluster "prod", namespace "shop"',
      ],
    });
  });

  it("names the namespaces on each side when the clusters agree", async () => {
    expect((await diagnose(relabelled((workload) => (workload.namespace = "store")))).lines.at(-1)).toBe(
      `the repository's workloads are in namespace "shop" but the snapshot's in namespace "store"; take the snapshot for those namespaces (rightsize snapshot --namespace), or set the manifests' namespace (targets[].namespace for manifests without one)`,
    );
  });

  it("explains the cluster a policy without targets assigns the checkout to", async () => {
    const diagnosis = await diagnose(snapshot, "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\n");
    expect(diagnosis.lines.at(-1)).toBe(
      `the snapshot observed cluster "prod" but the policy has no targets, so the checkout belongs to cluster "default"; pass --cluster default to rightsize snapshot, or name the policy's cluster "prod" (clusters[0].name)`,
    );
  });

  it("passes on the snapshot's own problems and says when it observed nothing", async () => {
    const empty = { ...snapshot, workloads: [], problems: [{ cluster: "prod", namespace: "shop", message: "namespace shop: cannot list workloads from Prometheus: HTTP 403" }] };
    expect((await diagnose(empty)).lines).toEqual([
      "observation problem in prod/shop: namespace shop: cannot list workloads from Prometheus: HTTP 403",
      "nothing to recommend: no workload of the repository matched an observation",
      `  ${TARGET}`,
      "  the snapshot holds no workload",
      "the snapshot observed nothing: check the namespaces it was taken for (rightsize snapshot --namespace) and its problems",
    ]);
  });
});

describe("rightsize plan when nothing matches", () => {
  it("prints the diagnosis on stderr and exits 1", async () => {
    const { writeFileSync, mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const directory = mkdtempSync(path.join(tmpdir(), "rightsize-diagnose-"));
    try {
      const file = path.join(directory, "snapshot.json");
      writeFileSync(file, JSON.stringify(relabelled((workload) => (workload.cluster = "default"))));
      const result = await rightsize("plan", "--repo", path.join(EXAMPLES, "config-repo"), "--snapshot", file);
      expect(result.status).toBe(1);
      expect(result.stdout.startsWith("no workload of the repository matched an observation\n")).toBe(true);
      expect(result.stderr).toBe(
        [
          "rightsize: nothing to recommend: no workload of the repository matched an observation",
          `rightsize:   ${TARGET}`,
          'rightsize:   the snapshot: 7 workloads in cluster "default", namespace "shop"',
          `rightsize: the snapshot observed cluster "default" but the policy's targets name "prod"; pass --cluster prod to rightsize snapshot, or rename the target`,
          "",
        ].join("\n"),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
