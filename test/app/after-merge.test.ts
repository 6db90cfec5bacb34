import { Octokit } from "@octokit/rest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseObservationSnapshotText, type ObservationSnapshot } from "../../src/domain/index.js";
import { scanGitHubRepository, type GitHubRepositoryInfo } from "../../src/pipeline/index.js";
import { parseStateMarker } from "../../src/pipeline/lifecycle/state.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { GitHubStandIn } from "../helpers/github-standin.js";

/**
 * Beyond the PR (SPEC §8), end to end against a loopback GitHub: a proposal is merged, the change
 * rolls out, the check after merge finds OOM kills, and a revert pull request restores the
 * previous values byte-minimally; the dashboard issue says so; a repeated scan writes nothing.
 */
const ROOT = path.join(import.meta.dirname, "../..");
const EXAMPLE = parseObservationSnapshotText(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8"));
const MI = 1024 ** 2;

let github: GitHubStandIn;
let app: TestApp;
let scratch: string;
let now = new Date("2026-11-23T06:00:00Z");
let observed: ObservationSnapshot;

function frontendOnly(change: (snapshot: ObservationSnapshot) => void = () => undefined): ObservationSnapshot {
  const snapshot = structuredClone({ ...EXAMPLE, workloads: EXAMPLE.workloads.filter((workload) => workload.workload.name === "frontend") });
  change(snapshot);
  return snapshot;
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-after-merge-"));
  github = await GitHubStandIn.withExample();
  const snapshot = path.join(scratch, "snapshot.json");
  writeFileSync(snapshot, JSON.stringify(frontendOnly()));
  app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot }] }, baseUrl: github.apiUrl });
  app.deps.now = () => now;
});

afterAll(async () => {
  await github?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function scan() {
  const repository: GitHubRepositoryInfo = { owner: "acme", repo: "shop-config", defaultBranch: "main", cloneUrl: github.cloneUrl, botLogin: "rightsize[bot]" };
  return scanGitHubRepository({
    octokit: new Octokit({ auth: "ghs_test", baseUrl: github.apiUrl }),
    repository,
    token: "ghs_test",
    now,
    observe: async () => ({ snapshot: observed, at: now.toISOString() }),
  });
}

describe("after the merge", () => {
  it("sees the rollout, checks after verifyAfter, reverts a change that OOM-killed, and keeps the dashboard", async () => {
    // 1. A writer asks for the frontend's proposal; a reviewer merges it.
    await app.receive("issue_comment", github.issueComment(801, "/rightsize shop/deployment/frontend"));
    const [pull] = github.pulls;
    expect(pull?.head).toBe("rightsize/prod/shop/deployment-frontend");
    const before = github.git("show", "main:apps/storefront/frontend.yaml");
    const merged = github.merge(pull!.number, "2026-11-23T09:00:00Z");
    await app.receive("pull_request", github.pullRequestEvent("closed", merged, "bob"));
    expect(parseStateMarker(pull!.body)?.merged).toEqual({ at: "2026-11-23T09:00:00Z", commit: merged.merge_commit_sha });

    // 2. The next day the cluster runs the new values: the rollout is recorded, nothing is said yet.
    now = new Date("2026-11-24T06:00:00Z");
    const live = (web: { cpuP95: number; memoryMax: number; oomKills?: { at: string; pod: string }[] }) =>
      frontendOnly((snapshot) => {
        const workload = snapshot.workloads[0]!;
        workload.window = { from: "2026-11-24T06:00:00Z", to: now.toISOString() };
        const container = workload.containers[0]!;
        container.current = { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } };
        container.cpu = { ...container.cpu!, p95: web.cpuP95 };
        container.memory = { ...container.memory!, max: web.memoryMax, p95: web.memoryMax * 0.9 };
        container.oomKills = web.oomKills ?? [];
        container.series = undefined;
      });
    observed = live({ cpuP95: 0.1, memoryMax: 200 * MI });
    const first = await scan();
    expect(first.verification).toEqual([{ number: pull!.number, status: "rolled-out" }]);
    expect(github.comments.filter((comment) => comment.issue === pull!.number)).toEqual([]);

    // 3. Three days after the rollout: OOM kills. One comment with the verdict, and a revert PR.
    now = new Date("2026-11-27T06:00:00Z");
    observed = live({ cpuP95: 0.12, memoryMax: 255 * MI, oomKills: [{ at: "2026-11-26T13:00:00Z", pod: "frontend-6f7d-x1" }] });
    const second = await scan();
    expect(second.verification?.map((outcome) => [outcome.number, outcome.status])).toEqual([[pull!.number, "verified"]]);
    const verdicts = github.comments.filter((comment) => comment.issue === pull!.number && comment.body.includes("<!-- rightsize:verification -->"));
    expect(verdicts).toHaveLength(1);
    const revert = github.pulls.find((candidate) => candidate.head === `rightsize/revert/${pull!.number}`)!;
    expect(verdicts[0]!.body).toContain("wrong (usage above 95% of the new request, or an OOM kill)");
    expect(verdicts[0]!.body).toContain(`rightsize opened #${revert.number} to restore the previous values.`);
    expect(revert.labels).toEqual(expect.arrayContaining(["rightsize", "revert"]));
    // The revert restores exactly the previous bytes of the manifest.
    expect(github.git("show", `refs/heads/${revert.head}:apps/storefront/frontend.yaml`)).toBe(before);
    expect(github.git("diff", "--name-only", `main...refs/heads/${revert.head}`).trim()).toBe("apps/storefront/frontend.yaml");

    // 4. The dashboard issue exists once, and says what needs attention.
    const dashboards = github.issues.filter((issue) => issue.title === "rightsize dashboard");
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.body).toContain(`merged #${pull!.number} was checked after merge: **wrong**`);

    // 5. A repeated scan comments nothing, opens nothing and leaves the dashboard as it is.
    const counts = { comments: github.comments.length, pulls: github.pulls.length, body: dashboards[0]!.body };
    const third = await scan();
    expect(third.verification).toEqual([]);
    expect([github.comments.length, github.pulls.length]).toEqual([counts.comments, counts.pulls]);
    expect(github.issues.filter((issue) => issue.title === "rightsize dashboard").map((issue) => issue.body)).toEqual([counts.body]);
  });
});

describe("a wrong verdict without OOM kills", () => {
  let tight: GitHubStandIn;
  let tightApp: TestApp;

  beforeAll(async () => {
    tight = await GitHubStandIn.withExample();
    tightApp = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot: path.join(scratch, "snapshot.json") }] }, baseUrl: tight.apiUrl });
  });
  afterAll(async () => {
    await tight?.stop();
  });

  it("proposes the next value instead of reverting", async () => {
    await tightApp.receive("issue_comment", tight.issueComment(901, "/rightsize shop/deployment/frontend"));
    const [pull] = tight.pulls;
    const merged = tight.merge(pull!.number, "2026-11-23T09:00:00Z");
    await tightApp.receive("pull_request", tight.pullRequestEvent("closed", merged, "bob"));
    const repository: GitHubRepositoryInfo = { owner: "acme", repo: "shop-config", defaultBranch: "main", cloneUrl: tight.cloneUrl, botLogin: "rightsize[bot]" };
    const cpuBound = (at: string) =>
      frontendOnly((snapshot) => {
        const workload = snapshot.workloads[0]!;
        workload.window = { from: "2026-11-24T06:00:00Z", to: at };
        const container = workload.containers[0]!;
        container.current = { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } };
        // CPU p90 at 104% of the new 250m request; memory comfortable; no OOM kill. The next value:
        // p90 260m × 1.08 (p99 280m ÷ p90 260m = 1.077, rounded up) = 280.8m → 285m (+14%).
        container.cpu = { ...container.cpu!, p50: 0.2, p90: 0.26, p95: 0.27, p99: 0.28, max: 0.3 };
        container.memory = { ...container.memory!, p50: 150 * MI, p90: 160 * MI, p95: 170 * MI, p99: 175 * MI, max: 180 * MI };
        container.series = undefined;
      });
    const scanAt = async (at: string) => {
      const snapshot = cpuBound(at);
      return scanGitHubRepository({ octokit: new Octokit({ auth: "t", baseUrl: tight.apiUrl }), repository, token: "t", now: new Date(at), observe: async () => ({ snapshot, at }) });
    };
    await scanAt("2026-11-24T06:00:00Z");
    await scanAt("2026-11-27T06:00:00Z");
    const verdict = tight.comments.find((comment) => comment.issue === pull!.number && comment.body.includes("<!-- rightsize:verification -->"));
    expect(verdict?.body).toContain("| `prod/shop/Deployment/frontend` | `web` | cpu | 250m | 270m | 300m | 104% (p90) | wrong |");
    expect(tight.pulls.some((candidate) => candidate.head.startsWith("rightsize/revert/"))).toBe(false);
    const next = tight.pulls.find((candidate) => candidate.number !== pull!.number && candidate.state === "open");
    expect(next?.head).toBe("rightsize/prod/shop/deployment-frontend");
    expect(next?.title).toMatch(/^rightsize\(shop\/frontend\): cpu 250m→285m/);
    expect(verdict?.body).toContain(`rightsize proposed the next values in #${next!.number}.`);
  });
});
