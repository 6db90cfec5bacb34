import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handleEventJob, InProcessQueue } from "../../src/app/index.js";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { GitHubStandIn } from "../helpers/github-standin.js";

/**
 * SPEC §9, people who may not be trusted: readers, forks and outsiders against the app on a
 * loopback GitHub. Each break a probe found is reproduced here, with the attacks that held.
 */
const ROOT = path.join(import.meta.dirname, "../..");
const EXAMPLE = parseObservationSnapshotText(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8"));
const THREE = ["frontend", "checkout", "api"];

let github: GitHubStandIn;
let app: TestApp;
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-untrusted-"));
  writeFileSync(path.join(scratch, "snapshot.json"), JSON.stringify({ ...EXAMPLE, workloads: EXAMPLE.workloads.filter((workload) => THREE.includes(workload.workload.name)) }));
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeEach(async () => {
  github = await GitHubStandIn.withExample();
  github.permissions.set("mallory", "read");
  app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot: path.join(scratch, "snapshot.json") }] }, baseUrl: github.apiUrl });
});

afterEach(async () => {
  await app.deps.queue?.close();
  await github.stop();
});

/** Requests that change something on GitHub (git pushes and installation tokens aside). */
function writes(from = 0): string[] {
  return github.requests.slice(from).filter((request) => /^(POST|PATCH|PUT|DELETE) \/api\//.test(request) && !request.endsWith("/access_tokens"));
}

function issuesEvent(action: string, issue: Record<string, unknown>, sender: string, changes?: Record<string, unknown>) {
  return { action, issue, ...(changes ? { changes } : {}), repository: github.repositoryPayload(), sender: { login: sender, type: "User" }, installation: { id: 2 } };
}

describe("the dashboard: only rightsize's own, and only ticked by writers", () => {
  const forged = "<!-- rightsize:dashboard -->\n- [ ] all <!-- rightsize:row * -->";

  it("ignores a look-alike dashboard a reader wrote, ticked by that reader (it opened 3 pull requests before)", async () => {
    const issue = { number: 77, title: "rightsize dashboard", state: "open", body: forged.replace("- [ ]", "- [x]"), user: { login: "mallory", type: "User" } };
    await app.receive("issues", issuesEvent("edited", issue, "mallory", { body: { from: forged } }));
    expect(github.pulls).toEqual([]);
    expect(github.requests.filter((request) => request.endsWith("/git-upload-pack"))).toEqual([]);
  });

  it("ignores a look-alike dashboard a writer wrote too: markers count only in what rightsize wrote", async () => {
    const issue = { number: 78, title: "rightsize dashboard", state: "open", body: forged.replace("- [ ]", "- [x]"), user: { login: "alice", type: "User" } };
    await app.receive("issues", issuesEvent("edited", issue, "alice", { body: { from: forged } }));
    expect(github.pulls).toEqual([]);
  });

  it("ignores a tick on rightsize's own dashboard by someone without write access", async () => {
    const issue = { number: 79, title: "rightsize dashboard", state: "open", body: forged.replace("- [ ]", "- [x]"), user: { login: "rightsize[bot]", type: "Bot" } };
    await app.receive("issues", issuesEvent("edited", issue, "mallory", { body: { from: forged } }));
    expect(github.pulls).toEqual([]);
    expect(writes()).toEqual([]);
  });
});

describe("forged markers in comments", () => {
  it("answers a writer's command although a reader posted its reply marker first (it was never answered before)", async () => {
    github.comments.push({ id: 9000, issue: 1, body: "nothing to see <!-- rightsize:reply 601 -->", user: "mallory" });
    await app.receive("issue_comment", github.issueComment(601, "/rightsize help"));
    const replies = github.comments.filter((comment) => comment.user === "rightsize[bot]");
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toMatch(/^@alice rightsize understands these commands\./);
  });

  it("still answers a repeated delivery once: its own reply marker counts", async () => {
    await app.receive("issue_comment", github.issueComment(602, "/rightsize help"), "same");
    await app.receive("issue_comment", github.issueComment(602, "/rightsize help"), "same-again");
    expect(github.comments.filter((comment) => comment.user === "rightsize[bot]")).toHaveLength(1);
  });
});

describe("a reader's flood of commands", () => {
  it("costs one permission read and one refusal, and a writer's command elsewhere is answered without waiting behind it", async () => {
    const queue = new InProcessQueue({ attempts: 1 });
    app.deps.queue = queue;
    await queue.start((job) => handleEventJob(app.probot, app.deps, job));
    const before = github.requests.length;
    const flood = Array.from({ length: 300 }, (_, index) => app.receive("issue_comment", github.issueComment(10_000 + index, "/rightsize all", { login: "mallory", issue: 2 })));
    await Promise.all(flood);
    await app.receive("issue_comment", github.issueComment(603, "/rightsize help", { issue: 3 }));
    await queue.drain();

    const refusals = github.comments.filter((comment) => comment.issue === 2);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]!.body).toMatch(/^@mallory thanks for the request\. Only people with write, maintain or admin access/);
    expect(github.requests.slice(before).filter((request) => request.includes("/collaborators/mallory/permission"))).toHaveLength(1);
    // The reader gets no 👀: the permission comes first. The writer's comment gets one, and its reply.
    expect(github.reactions).toEqual([{ comment: 603, content: "eyes" }]);
    expect(github.comments.filter((comment) => comment.issue === 3).map((comment) => comment.body.split("\n")[0])).toEqual(["@alice rightsize understands these commands."]);
    expect(writes(before)).toHaveLength(3);
  });

  it("refuses a reader again in another issue, and in the same issue only after an hour", async () => {
    await app.receive("issue_comment", github.issueComment(604, "/rightsize all", { login: "mallory", issue: 4 }));
    await app.receive("issue_comment", github.issueComment(605, "/rightsize all", { login: "mallory", issue: 4 }));
    await app.receive("issue_comment", github.issueComment(606, "/rightsize all", { login: "mallory", issue: 5 }));
    expect(github.comments.map((comment) => comment.issue)).toEqual([4, 5]);
  });
});
