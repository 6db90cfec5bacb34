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

/** The frontend after its merged proposal rolled out: 250m / 256Mi running, with this usage (CPU p90, memory max; the p95 is higher than the p90). */
function afterRollout(cpu: number, memoryMax: number, oomKills: { at: string; pod: string }[] = []): string {
  const snapshot = structuredClone({ ...EXAMPLE, workloads: EXAMPLE.workloads.filter((workload) => workload.workload.name === "frontend") });
  const container = snapshot.workloads[0]!.containers[0]!;
  container.current = { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } };
  // CPU is judged by the percentile its request is sized from (p90 by default), never the p95.
  const p95 = Math.max(cpu, 0.13);
  container.cpu = { ...container.cpu!, p90: cpu, p95, p99: Math.max(p95, container.cpu!.p99), max: Math.max(p95, container.cpu!.max) };
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
    // cpu: p90 110m ÷ 250m = 44% (the p95, 130m, is not what is judged); memory: peak 220Mi ÷ 256Mi = 85.9%.
    expect(result.stdout).toBe(
      [
        "CLUSTER  WORKLOAD                  MERGED   CONTAINER  RESOURCE  REQUEST  JUDGED ON  USAGE  OF REQUEST  VERDICT",
        `prod     shop/Deployment/frontend  ${commit}  web        cpu       250m     p90        110m   44%         fits`,
        `prod     shop/Deployment/frontend  ${commit}  web        memory    256Mi    peak       220Mi  86%         tight`,
        "",
      ].join("\n"),
    );
  });

  it("writes usage in one style in every format: cores from one core, GiB from 1Gi", async () => {
    await mergeFrontendProposal();
    const after = afterRollout(1.2, 1.5 * 1024 * MI);
    const table = await rightsize("verify", "--repo", repo.work, "--snapshot", after);
    const markdown = await rightsize("verify", "--repo", repo.work, "--snapshot", after, "-o", "markdown");
    expect([table.status, markdown.status]).toEqual([1, 1]);
    // 1.2 cores ÷ 250m = 480%; 1.5Gi ÷ 256Mi = 600%.
    expect(table.stdout.split("\n")[1]).toMatch(/ cpu +250m +p90 +1\.2 +480% +wrong$/);
    expect(table.stdout.split("\n")[2]).toMatch(/ memory +256Mi +peak +1\.5Gi +600% +wrong$/);
    const rows = markdown.stdout.split("\n");
    expect(rows[0]).toBe("| Cluster | Workload | Merged | Container | Resource | Request | Judged on | Usage | Of request | Verdict |");
    expect(rows[2]).toMatch(/^\| prod \| shop\/Deployment\/frontend \| [0-9a-f]{7} \| web \| cpu \| 250m \| p90 \| 1\.2 \| 480% \| wrong \|$/);
    expect(rows[3]).toMatch(/^\| prod \| shop\/Deployment\/frontend \| [0-9a-f]{7} \| web \| memory \| 256Mi \| peak \| 1\.5Gi \| 600% \| wrong \|$/);
    expect(markdown.stdout).toContain("- `prod/shop/Deployment/frontend` `web`: 0 OOM kills, 0 restarts, CPU throttled in 0.0% of periods; **wrong**.");
    const csv = await rightsize("verify", "--repo", repo.work, "--snapshot", after, "-o", "csv");
    expect(csv.stdout.split("\n")[0]).toBe("cluster,namespace,kind,name,merged_commit,rolled_out,container,resource,request,judged_on,usage,share_percent,peak,verdict,oom_kills");
    expect(csv.stdout.split("\n")[1]).toMatch(/^prod,shop,Deployment,frontend,[0-9a-f]{40},true,web,cpu,250m,p90,1\.2,480,1\.2,wrong,0$/);
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
    expect(result.stdout).toMatch(/^CLUSTER .*\nprod +shop\/Deployment\/frontend +[0-9a-f]{7} +— +— +— +— +— +— +not rolled out\n$/);
  });
});
