import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseObservationSnapshotText, type ObservationSnapshot, type WorkloadObservation } from "../../src/domain/index.js";
import { parseStateMarker } from "../../src/pipeline/lifecycle/state.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { APP_LOGIN, GitHubStandIn } from "../helpers/github-standin.js";

/**
 * A proposal's life over time (SPEC §8), against a loopback GitHub: merges, declines, people's
 * pushes and sibling pull requests, each reproducing a break a user found living with rightsize.
 */
const ROOT = path.join(import.meta.dirname, "../..");
const EXAMPLE = parseObservationSnapshotText(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8"));
const FRONTEND = EXAMPLE.workloads.find((workload) => workload.workload.name === "frontend")!;

let github: GitHubStandIn;
let app: TestApp;
let scratch: string;
let snapshotFile: string;

function writeSnapshot(workloads: WorkloadObservation[]): void {
  writeFileSync(snapshotFile, JSON.stringify({ ...EXAMPLE, workloads } satisfies ObservationSnapshot));
}

/** The frontend as observed, with the requests the cluster runs now. */
function frontendRunning(cpu: string, memory: string): WorkloadObservation {
  return { ...FRONTEND, containers: FRONTEND.containers.map((container) => ({ ...container, current: { limits: container.current?.limits ?? {}, requests: { cpu, memory } } })) };
}

async function start(seed?: (work: string) => void): Promise<void> {
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-lifecycle-"));
  snapshotFile = path.join(scratch, "snapshot.json");
  if (seed) {
    github = new GitHubStandIn();
    const work = path.join(scratch, "work");
    execFileSync("git", ["init", "--quiet", "--initial-branch=main", work]);
    seed(work);
    execFileSync("git", ["add", "."], { cwd: work });
    execFileSync("git", ["-c", "user.name=Example", "-c", "user.email=example@example.com", "commit", "--quiet", "-m", "Config repo"], { cwd: work });
    github.seed(work);
    await github.start();
  } else {
    github = await GitHubStandIn.withExample();
  }
  app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot: snapshotFile }] }, baseUrl: github.apiUrl, now: "2026-11-23T06:00:00Z" });
}

afterEach(async () => {
  await github.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function closed(number: number, options: { merged: boolean; by?: string }) {
  const pull = github.pulls.find((candidate) => candidate.number === number)!;
  const payload = options.merged ? github.merge(number, "2026-11-23T09:00:00Z") : (Object.assign(pull, { state: "closed" }), { ...github.pullPayload(pull), merged: false, merged_at: null });
  return github.pullRequestEvent("closed", payload, options.by ?? "alice");
}

function replies(): string[] {
  return github.comments.filter((comment) => comment.issue === 1 && comment.user === APP_LOGIN).map((comment) => comment.body);
}

describe("steps, not stacks (cuts stacked before the last one was live: 500m → 250m, then at once 250m → 125m)", () => {
  beforeEach(async () => {
    await start();
    writeSnapshot([frontendRunning("500m", "512Mi")]);
  });

  it("proposes no further decrease of a merged workload while the cluster still runs the old requests, and says why", async () => {
    await app.receive("issue_comment", github.issueComment(801, "/rightsize deployment/frontend"));
    expect(github.pulls.map((pull) => pull.title)).toEqual(["rightsize(shop/frontend): cpu 500m→250m, memory 512Mi→256Mi"]);
    await app.receive("pull_request", closed(github.pulls[0]!.number, { merged: true }));
    expect(parseStateMarker(github.pulls[0]!.body)?.merged?.at).toBe("2026-11-23T09:00:00Z");

    await app.receive("issue_comment", github.issueComment(802, "/rightsize deployment/frontend"));
    expect(github.pulls).toHaveLength(1);
    expect(replies()[1]).toContain(
      `waiting for the rollout: #${github.pulls[0]!.number} (merged 2026-11-23) does not run in the cluster yet; decreases wait until it does and a fresh window since then is long enough`,
    );
  });

  it("holds decreases when the rollout is first seen, and names the previous step in the next proposal", async () => {
    await app.receive("issue_comment", github.issueComment(803, "/rightsize deployment/frontend"));
    const first = github.pulls[0]!.number;
    await app.receive("pull_request", closed(first, { merged: true }));
    writeSnapshot([frontendRunning("250m", "256Mi")]);
    await app.receive("issue_comment", github.issueComment(804, "/rightsize deployment/frontend"));
    expect(github.pulls).toHaveLength(1);
    expect(replies()[1]).toContain(`waiting for data: #${first} has just rolled out; decreases wait for a fresh window since the rollout`);
  });
});

describe("declines, honoured and overridable (no command brought a declined workload back)", () => {
  beforeEach(async () => {
    await start();
    writeSnapshot([frontendRunning("500m", "512Mi")]);
  });

  it("keeps honouring a decline for /rightsize all, and a command naming the workload overrides it, saying so", async () => {
    await app.receive("issue_comment", github.issueComment(811, "/rightsize deployment/frontend"));
    const declined = github.pulls[0]!.number;
    await app.receive("pull_request", closed(declined, { merged: false }));
    const notice = github.comments.find((comment) => comment.issue === declined)!.body;
    expect(notice).toContain('Its scans and `/rightsize all` will not propose requests within 10% of them again');
    expect(notice).toContain("comment `/rightsize shop/deployment/frontend` in an issue or tick the workload's box on the dashboard. The branch `rightsize/prod/shop/deployment-frontend` has been deleted.");

    await app.receive("issue_comment", github.issueComment(812, "/rightsize all"));
    expect(github.pulls).toHaveLength(1);
    expect(replies()[1]).toContain("— declined: pull request #");

    await app.receive("issue_comment", github.issueComment(813, "/rightsize shop/deployment/frontend"));
    expect(github.pulls).toHaveLength(2);
    expect(replies()[2]).toBe(
      `@alice rightsize proposed 1 pull request:\n- #${github.pulls[1]!.number} opened: rightsize(shop/frontend): cpu 500m→250m, memory 512Mi→256Mi #${declined} was declined; this proposal overrides it, as asked.\n\n<!-- rightsize:reply 813 -->\n`,
    );
  });

  it("lets /rightsize refresh in the declined pull request bring a new one, as its body says", async () => {
    await app.receive("issue_comment", github.issueComment(814, "/rightsize deployment/frontend"));
    const declined = github.pulls[0]!;
    expect(declined.body).toContain("so does asking for this workload by name (`/rightsize kind/name` in an issue, `/rightsize refresh` here, or its box on the dashboard)");
    await app.receive("pull_request", closed(declined.number, { merged: false }));
    const comment = github.issueComment(815, "/rightsize refresh", { issue: declined.number }) as { issue: Record<string, unknown> };
    Object.assign(comment.issue, { title: declined.title, state: "closed", pull_request: { url: `${github.apiUrl}/repos/acme/shop-config/pulls/${declined.number}` }, user: { login: APP_LOGIN, type: "Bot" } });
    await app.receive("issue_comment", comment);
    expect(github.pulls).toHaveLength(2);
    expect(github.comments.at(-1)!.body).toMatch(new RegExp(`^@alice rightsize opened #${github.pulls[1]!.number}: #${declined.number} was declined; this proposal overrides it, as asked\\.`));
  });
});

describe("people's commits (closing a pull request someone pushed to deleted their commit)", () => {
  beforeEach(async () => {
    await start();
    writeSnapshot([frontendRunning("500m", "512Mi")]);
  });

  it("says once that the branch is theirs, and on close keeps it, with their commit, and records no decline", async () => {
    await app.receive("issue_comment", github.issueComment(821, "/rightsize deployment/frontend"));
    const pull = github.pulls[0]!;
    const work = path.join(scratch, "person");
    const theirs = github.pushAsPerson(pull.head, work, "Keep 300m for the sale");
    const push = github.pushEvent(`refs/heads/${pull.head}`, theirs, "bob");
    await app.receive("push", push);
    await app.receive("push", push, "again");
    const taken = github.comments.filter((comment) => comment.issue === pull.number);
    expect(taken).toHaveLength(1);
    expect(taken[0]!.body).toMatch(/^rightsize did not update this branch: bob pushed [0-9a-f]{12} to it\. It will not push to this branch again, whatever happens to this pull request: merge it as it is, or close it\. rightsize never deletes a branch that holds someone else's commits; once this branch is gone, rightsize proposes for this workload again\./);

    await app.receive("pull_request", closed(pull.number, { merged: false, by: "bob" }));
    expect(github.git("rev-parse", `refs/heads/${pull.head}`).trim()).toBe(theirs);
    const said = github.comments.filter((comment) => comment.issue === pull.number).map((comment) => comment.body);
    expect(said).toHaveLength(2);
    expect(said[1]).toMatch(/^rightsize left the branch `rightsize\/prod\/shop\/deployment-frontend` in place: it holds commits rightsize did not write/);
    expect(parseStateMarker(pull.body)?.closedBy).toBe("taken-over");

    // Until the branch is gone, rightsize leaves the workload alone; then it proposes again, not "declined".
    await app.receive("issue_comment", github.issueComment(822, "/rightsize all"));
    expect(replies()[1]).toContain("— foreign:");
    github.git("update-ref", "-d", `refs/heads/${pull.head}`);
    await app.receive("issue_comment", github.issueComment(823, "/rightsize all"));
    expect(github.pulls.filter((candidate) => candidate.state === "open")).toHaveLength(1);
  });
});

describe("sibling pull requests (ten proposals for one overlay each added a patch to its kustomization, and conflicted after the first merge)", () => {
  const NAMES = ["alpha", "beta", "gamma"];

  beforeEach(async () => {
    await start((work) => {
      const file = (name: string, text: string) => {
        mkdirSync(path.dirname(path.join(work, name)), { recursive: true });
        writeFileSync(path.join(work, name), text);
      };
      file(".github/rightsize.yml", "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\ntargets:\n  - paths: [\"overlays/prod/**\"]\n    cluster: prod\n    namespace: shop\n");
      file("base/kustomization.yaml", `resources:\n${NAMES.map((name) => `  - ${name}.yaml`).join("\n")}\n`);
      for (const name of NAMES) {
        file(
          `base/${name}.yaml`,
          `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1\n          resources:\n            requests:\n              cpu: 500m\n              memory: 512Mi\n`,
        );
      }
      // The base is shared with staging: each proposal sets its workload's values in a patch of the prod overlay.
      for (const environment of ["prod", "staging"]) file(`overlays/${environment}/kustomization.yaml`, "namespace: shop\nresources:\n  - ../../base\n");
    });
    writeSnapshot(NAMES.map((name) => ({ ...frontendRunning("500m", "512Mi"), workload: { ...FRONTEND.workload, name } })));
  });

  it("rebuilds the others on the new tip when the first merges, so none stays conflicting and each keeps its patch", async () => {
    await app.receive("issue_comment", github.issueComment(831, "/rightsize all"));
    expect(github.pulls).toHaveLength(3);
    const [first, ...others] = github.pulls;
    github.merge(first!.number, "2026-11-23T09:00:00Z");
    const tip = github.git("rev-parse", "main").trim();
    for (const other of others) expect(mergesCleanly(other.head)).toBe(false);

    await app.receive("push", github.pushEvent("refs/heads/main", tip));
    for (const other of others) {
      expect(github.git("rev-parse", `refs/heads/${other.head}^`).trim()).toBe(tip);
      expect(mergesCleanly(other.head)).toBe(true);
    }
    const kustomization = github.git("show", `refs/heads/${others[1]!.head}:overlays/prod/kustomization.yaml`);
    expect(kustomization.match(/- path: /g)).toHaveLength(2);
  });
});

/** Whether the branch merges into main without conflicts (git's own three-way merge). */
function mergesCleanly(branch: string): boolean {
  try {
    github.git("merge-tree", "--write-tree", "main", `refs/heads/${branch}`);
    return true;
  } catch {
    return false;
  }
}
