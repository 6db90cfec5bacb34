import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { rightsize } from "../helpers/cli.js";
import { exampleRepo, git, type ExampleRepo } from "../helpers/git-repo.js";
import { proposeLocally } from "../helpers/propose.js";

const ROOT = path.join(import.meta.dirname, "../..");
const EXAMPLE = parseObservationSnapshotText(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8"));
const MI = 1024 ** 2;

let repo: ExampleRepo;
let scratch: string;

beforeEach(() => {
  repo = exampleRepo();
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-verify-"));
});

afterEach(() => {
  repo.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** The frontend after its merged proposal rolled out: 250m / 256Mi running, with this usage (CPU p90 and p95, memory max). */
function afterRollout(cpu: number, memoryMax: number, oomKills: { at: string; pod: string }[] = []): string {
  const snapshot = structuredClone({ ...EXAMPLE, workloads: EXAMPLE.workloads.filter((workload) => workload.workload.name === "frontend") });
  const container = snapshot.workloads[0]!.containers[0]!;
  container.current = { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } };
  // CPU is judged by the percentile its request is sized from (p90 by default); the table shows the p95 too.
  container.cpu = { ...container.cpu!, p90: cpu, p95: cpu };
  container.memory = { ...container.memory!, max: memoryMax };
  container.oomKills = oomKills;
  const file = path.join(scratch, "after.json");
  writeFileSync(file, JSON.stringify(snapshot));
  return file;
}

async function mergeFrontendProposal(): Promise<void> {
  await proposeLocally(repo.work, { ...EXAMPLE, workloads: EXAMPLE.workloads.filter((workload) => workload.workload.name === "frontend") });
  git(repo.work, "merge", "--quiet", "--ff-only", "rightsize/prod/shop/deployment-frontend");
}

describe("rightsize verify", () => {
  it("gives the verdict of each merged proposal found in git history", async () => {
    await mergeFrontendProposal();
    const commit = git(repo.work, "rev-parse", "--short=7", "main").trim();
    const result = await rightsize("verify", "--repo", repo.work, "--snapshot", afterRollout(0.11, 220 * MI));
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      [
        "WORKLOAD                       MERGED   CONTAINER  RESOURCE  REQUEST  P95    PEAK   JUDGED  VERDICT",
        `prod/shop/Deployment/frontend  ${commit}  web        cpu       250m     110m   210m   44%     fits`,
        `prod/shop/Deployment/frontend  ${commit}  web        memory    256Mi    200Mi  220Mi  86%     tight`,
        "",
      ].join("\n"),
    );
  });

  it("exits 1 when a verdict is wrong, and says so in JSON", async () => {
    await mergeFrontendProposal();
    const result = await rightsize("verify", "--repo", repo.work, "--snapshot", afterRollout(0.11, 250 * MI, [{ at: "2026-11-22T10:00:00Z", pod: "frontend-x" }]), "--output", "json");
    expect(result.status).toBe(1);
    const [entry] = JSON.parse(result.stdout) as { workload: string; rolledOut: boolean; check: { verdict: string; containers: { oomKills: number }[] } }[];
    expect(entry).toMatchObject({ workload: "prod/shop/Deployment/frontend", rolledOut: true, check: { verdict: "wrong", containers: [{ oomKills: 1 }] } });
  });

  it("says a merged change does not run yet", async () => {
    await mergeFrontendProposal();
    const notYet = afterRollout(0.11, 230 * MI);
    const snapshot = JSON.parse(readFileSync(notYet, "utf8"));
    snapshot.workloads[0].containers[0].current = { requests: { cpu: "500m", memory: "512Mi" }, limits: {} };
    writeFileSync(notYet, JSON.stringify(snapshot));
    const result = await rightsize("verify", "--repo", repo.work, "--snapshot", notYet);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^WORKLOAD .*\nprod\/shop\/Deployment\/frontend +[0-9a-f]{7} +— +— +— +— +— +— +not rolled out\n$/);
  });
});
