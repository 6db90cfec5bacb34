import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseObservationSnapshotText, type ObservationSnapshot } from "../../src/domain/index.js";
import { replaceStateMarker } from "../../src/pipeline/index.js";
import { parseStateMarker, renderStateMarker } from "../../src/pipeline/lifecycle/state.js";
import { API, BOT_USER, createTestApp, eventPayload, expectInstallationToken, REPO, useAppTests } from "../helpers/app.js";
import { exampleRepo, git, type ExampleRepo } from "../helpers/git-repo.js";
import { proposeLocally } from "../helpers/propose.js";

const ROOT = path.join(import.meta.dirname, "../..");
const EXAMPLE = parseObservationSnapshotText(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8"));
const POLICY = readFileSync(path.join(ROOT, "examples/config-repo/.github/rightsize.yml"), "utf8");
const FRONTEND = "rightsize/prod/shop/deployment-frontend";
const CHECKOUT = "rightsize/prod/shop/deployment-checkout";
const RAW = { "content-type": "application/vnd.github.raw; charset=utf-8" };

useAppTests();

let repo: ExampleRepo;
let scratch: string;

beforeEach(() => {
  repo = exampleRepo();
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-app-"));
});

afterEach(() => {
  repo.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

function narrowed(names: readonly string[]): ObservationSnapshot {
  return { ...EXAMPLE, workloads: EXAMPLE.workloads.filter((workload) => names.includes(workload.workload.name)) };
}

function replayClusters(names: readonly string[]) {
  const file = path.join(scratch, "snapshot.json");
  writeFileSync(file, JSON.stringify(narrowed(names)));
  return { clusters: [{ name: "prod", snapshot: file }] };
}

/** The body rightsize writes for a workload's proposal, made by the pipeline itself (propose --local). */
async function proposalBody(name: string): Promise<string> {
  const run = await proposeLocally(repo.work, narrowed([name]));
  return readFileSync(path.join(repo.work, run.results[0]!.bodyPath!), "utf8");
}

function pullRequestEvent(name: "pull_request.closed" | "pull_request.edited", branch: string, body: string, change: (pull: Record<string, unknown>) => void = () => undefined) {
  return eventPayload<{ pull_request: Record<string, unknown> & { head: { ref: string } }; repository: { clone_url: string } }>(name, (payload) => {
    payload.pull_request.body = body;
    payload.pull_request.head.ref = branch;
    payload.repository.clone_url = repo.remote;
    change(payload.pull_request);
  });
}

/** `git/refs/…` (update, delete) or `git/ref/…` (read), with the ref's slashes encoded as octokit sends them. */
const refPath = (branch: string, endpoint = "refs") => new RegExp(`^${REPO}/git/${endpoint}/heads(/|%2F)${branch.replaceAll("/", "(/|%2F)")}$`);

/** The branch holds one commit, rightsize's: closing may delete it. */
function expectBranchOfRightsize(branch: string) {
  return nock(API)
    .get(refPath(branch, "ref"))
    .reply(200, { object: { sha: "4".repeat(40) } })
    .get(`${REPO}/compare/main...${"4".repeat(40)}`)
    .query({ per_page: "100" })
    .reply(200, { ahead_by: 1, commits: [{ sha: "4".repeat(40), commit: { message: "rightsize(shop/frontend)\n\nRightsize-Decision: abc" }, author: BOT_USER }] });
}

describe("a rightsize pull request closed without merging", () => {
  it("says how rightsize will behave and deletes the branch", async () => {
    const app = await createTestApp();
    const body = await proposalBody("frontend");
    const comments: string[] = [];
    expectInstallationToken();
    expectBranchOfRightsize(FRONTEND);
    nock(API)
      .delete(refPath(FRONTEND))
      .reply(204)
      .get(`${REPO}/issues/12/comments`)
      .query({ per_page: "100" })
      .reply(200, [])
      .get(`${REPO}/contents/.github%2Frightsize.yml`)
      .reply(200, POLICY, RAW)
      .post(`${REPO}/issues/12/comments`, (request) => comments.push(request.body) > 0)
      .reply(201, {});
    await app.receive("pull_request", pullRequestEvent("pull_request.closed", FRONTEND, body));
    expect(comments).toEqual([
      [
        'rightsize takes this as "not these values". Its scans and `/rightsize all` will not propose requests within 10% of them again:',
        "",
        "- `prod/shop/Deployment/frontend` `web`: cpu 250m, memory 256Mi",
        "",
        "Usage that drifts further than that brings a new pull request on a later scan (schedule `0 6 * * 1`). To ask for one now, whatever the values, comment `/rightsize shop/deployment/frontend` in an issue or tick the workload's box on the dashboard. The branch `rightsize/prod/shop/deployment-frontend` has been deleted.",
        "",
        "<!-- rightsize:declined -->",
      ].join("\n"),
    ]);
  });

  it("only deletes the branch when rightsize closed it itself", async () => {
    const app = await createTestApp();
    const body = await proposalBody("frontend");
    const state = parseStateMarker(body)!;
    expectInstallationToken();
    expectBranchOfRightsize(FRONTEND);
    nock(API).delete(refPath(FRONTEND)).reply(422, { message: "Reference does not exist" });
    await app.receive("pull_request", pullRequestEvent("pull_request.closed", FRONTEND, replaceStateMarker(body, { ...state, closedBy: "ignore" })));
  });

  it("records a merge in the state marker, once", async () => {
    const app = await createTestApp();
    const body = await proposalBody("frontend");
    let updated = "";
    expectInstallationToken();
    nock(API)
      .patch(`${REPO}/pulls/12`, (request) => ((updated = request.body), true))
      .reply(200, {});
    const merged = (pull: Record<string, unknown>) => Object.assign(pull, { merged: true, merged_at: "2026-11-24T09:30:00Z", merge_commit_sha: "5".repeat(40) });
    await app.receive("pull_request", pullRequestEvent("pull_request.closed", FRONTEND, body, merged));
    expect(parseStateMarker(updated)?.merged).toEqual({ at: "2026-11-24T09:30:00Z", commit: "5".repeat(40) });
    expect(updated.replace(/<!-- rightsize:state [^>]+ -->/, "")).toBe(body.replace(/<!-- rightsize:state [^>]+ -->/, ""));
    // A repeated delivery finds the merge recorded and writes nothing.
    await app.receive("pull_request", pullRequestEvent("pull_request.closed", FRONTEND, updated, merged));
  });
});

describe("commands in a rightsize pull request", () => {
  function prComment(body: string, id = 9100) {
    return eventPayload<{ comment: { id: number; body: string }; issue: Record<string, unknown>; repository: { clone_url: string } }>("issue_comment.created", (payload) => {
      payload.comment.body = body;
      payload.comment.id = id;
      payload.issue.number = 12;
      payload.issue.pull_request = { url: `https://api.github.com${REPO}/pulls/12` };
      payload.repository.clone_url = repo.remote;
    });
  }

  function expectCommandOnPullRequest(branch: string, body: string, commentId = 9100) {
    return nock(API)
      .get(`${REPO}/issues/12/comments`)
      .query({ per_page: "100" })
      .reply(200, [])
      .post(`${REPO}/issues/comments/${commentId}/reactions`)
      .reply(201, {})
      .get(`${REPO}/collaborators/alice/permission`)
      .reply(200, { permission: "write", role_name: "write" })
      .get(`${REPO}/pulls/12`)
      .reply(200, { number: 12, state: "open", body, head: { ref: branch, sha: "9".repeat(40), repo: { full_name: "acme/shop-config" } }, user: BOT_USER });
  }

  function captureReply(): { text?: string } {
    const reply: { text?: string } = {};
    nock(API)
      .post(`${REPO}/issues/12/comments`, (request) => ((reply.text = request.body), true))
      .reply(201, {});
    return reply;
  }

  it("explains a container's numbers in words", async () => {
    const app = await createTestApp();
    const body = await proposalBody("frontend");
    expectInstallationToken();
    expectCommandOnPullRequest(FRONTEND, body);
    nock(API).get(`${REPO}/contents/.github%2Frightsize.yml`).reply(200, POLICY, RAW);
    const reply = captureReply();
    await app.receive("issue_comment", prComment("/rightsize explain web"));
    expect(reply.text).toBe(
      [
        "@alice rightsize derived this proposal as follows (decision records of 2026-11-23T06:00:00Z; usage from 2026-11-16T06:00:00Z to 2026-11-23T06:00:00Z):",
        "",
        "#### `web` in Deployment `shop/frontend` (cluster `prod`)",
        "",
        "- Safety **SAFE**.",
        "- Confidence **HIGH**: min(window 7d: 80, coverage 99%: 98, samples 30,240: 100) = 80 of 100.",
        "- CPU request: 500m now, **250m** proposed (−50%).",
        "  - The p90 of usage is 90m.",
        // 140m ÷ 90m = 1.556, above the variability margin's maximum 1.15.
        "  - The spread p99/p90 = 140m/90m = 1.556 is capped at 1.15: the margin is 1.15.",
        "  - 90m × 1.15 = 103.5m.",
        "  - Rounded up to 105m (a multiple of 5m).",
        "  - Lowered only to 250m in this proposal (maxDecreasePercent 50%; the target 105m is reached in later steps).",
        "- Memory request: 512Mi now, **256Mi** proposed (−50%).",
        "  - The max of usage is 220Mi.",
        // 220Mi ÷ 210Mi = 1.048, below the minimum 1.05.
        "  - The spread max/p99 = 220Mi/210Mi = 1.048 is raised to the minimum 1.05: the margin is 1.05.",
        "  - 220Mi × 1.05 = 231Mi.",
        "  - Lowered only to 256Mi in this proposal (maxDecreasePercent 50%; the target 231Mi is reached in later steps).",
        "- Evidence: 0 OOM kills, 0 restarts, CPU throttled in 0.0% of periods.",
        "- Action: **change**.",
        "",
        "<!-- rightsize:reply 9100 -->",
        "",
      ].join("\n"),
    );
  });

  it("says where refresh works when it is asked for in an issue", async () => {
    const app = await createTestApp();
    expectInstallationToken();
    nock(API)
      .get(`${REPO}/issues/5/comments`)
      .query({ per_page: "100" })
      .reply(200, [])
      .post(`${REPO}/issues/comments/9001/reactions`)
      .reply(201, {})
      .get(`${REPO}/collaborators/alice/permission`)
      .reply(200, { permission: "write", role_name: "write" })
      .get(`${REPO}/contents/.github%2Frightsize.yml`)
      .reply(200, POLICY, RAW);
    const replies: string[] = [];
    nock(API)
      .post(`${REPO}/issues/5/comments`, (request) => replies.push(request.body) > 0)
      .reply(201, {});
    const payload = eventPayload<{ comment: { body: string }; repository: { clone_url: string } }>("issue_comment.created", (event) => {
      event.comment.body = "/rightsize refresh";
      event.repository.clone_url = repo.remote;
    });
    await app.receive("issue_comment", payload);
    expect(replies).toEqual([
      "@alice rightsize runs `/rightsize refresh` only in its own pull requests; in an issue, name the workload: `/rightsize kind/name`.\n\n<!-- rightsize:reply 9001 -->\n",
    ]);
  });

  it("ignores a container: recorded in the state marker, and the proposal is rewritten without it", async () => {
    const app = await createTestApp({ clusters: replayClusters(["checkout"]) });
    const body = await proposalBody("checkout");
    const base = git(repo.remote, "rev-parse", "main").trim();
    let markedBody = "";
    let rewritten = "";
    let tree: { path: string; content: string }[] = [];
    expectInstallationToken();
    expectCommandOnPullRequest(CHECKOUT, body);
    nock(API)
      .get(`${REPO}/contents/.github%2Frightsize.yml`)
      .reply(200, POLICY, RAW)
      .get(`${REPO}/pulls`)
      .query({ state: "closed", sort: "updated", direction: "desc", per_page: "100" })
      .reply(200, [])
      .patch(`${REPO}/pulls/12`, (request) => ((markedBody = request.body), true))
      .reply(200, {})
      .get(`${REPO}/pulls`)
      .query({ state: "open", per_page: "100" })
      .reply(() => [200, [{ number: 12, html_url: "https://github.com/acme/shop-config/pull/12", title: "t", body: markedBody, head: { ref: CHECKOUT, sha: "9".repeat(40), repo: { full_name: "acme/shop-config" } }, user: BOT_USER }]])
      .get(`${REPO}/compare/${base}...${"9".repeat(40)}`)
      .query({ per_page: "2" })
      .reply(200, { ahead_by: 1, commits: [{ sha: "9".repeat(40), commit: { message: "rightsize(shop/checkout)\n\nRightsize-Decision: abc", tree: { sha: "old-tree" } }, parents: [{ sha: base }] }] })
      .post(`${REPO}/git/trees`, (request) => ((tree = request.tree), true))
      .reply(201, { sha: "new-tree" })
      .post(`${REPO}/git/commits`)
      .reply(201, { sha: "new-commit" })
      .get(refPath(CHECKOUT, "ref"))
      .reply(200, { object: { sha: "9".repeat(40) } })
      .patch(refPath(CHECKOUT), { sha: "new-commit", force: true })
      .reply(200, {})
      .patch(`${REPO}/pulls/12`, (request) => ((rewritten = request.body), true))
      .reply(200, {})
      .post(`${REPO}/issues/12/labels`)
      .reply(200, []);
    const reply = captureReply();
    await app.receive("issue_comment", prComment("/rightsize ignore envoy"));

    expect(parseStateMarker(markedBody)?.ignored).toEqual({ "prod/shop/Deployment/checkout": ["envoy"] });
    expect(parseStateMarker(rewritten)?.ignored).toEqual({ "prod/shop/Deployment/checkout": ["envoy"] });
    expect(Object.keys(parseStateMarker(rewritten)!.workloads[0]!.containers)).toEqual(["server"]);
    const manifest = tree.find((entry) => entry.path === "apps/checkout/checkout.yaml")!.content;
    expect(manifest).toContain("requests: {cpu: 100m, memory: 128Mi}");
    expect(reply.text).toMatch(/^@alice rightsize will leave out container `envoy`\. It refreshed this proposal: the branch and this description are up to date\./);
  });
});

describe("a push to a rightsize branch by a person", () => {
  it("makes rightsize leave the branch alone and say so once", async () => {
    const app = await createTestApp();
    const push = eventPayload<Record<string, unknown> & { repository: { clone_url: string } }>("push", (payload) => {
      payload.ref = `refs/heads/${FRONTEND}`;
      payload.repository.clone_url = repo.remote;
    });
    const comments: string[] = [];
    const body = `b\n\n${renderStateMarker({ version: 1, branch: FRONTEND, workloads: [] })}\n`;
    const listing = () =>
      nock(API)
        .get(`${REPO}/pulls`)
        .query({ state: "open", head: `acme:${FRONTEND}`, per_page: "10" })
        .reply(200, [{ number: 12, html_url: "https://github.com/acme/shop-config/pull/12", title: "t", body, head: { ref: FRONTEND, sha: "4".repeat(40), repo: { full_name: "acme/shop-config" } }, user: BOT_USER }]);
    expectInstallationToken();
    listing()
      .get(`${REPO}/issues/12/comments`)
      .query({ per_page: "100" })
      .reply(200, [])
      .post(`${REPO}/issues/12/comments`, (request) => comments.push(request.body) > 0)
      .reply(201, {});
    await app.receive("push", push);
    // It said "close this pull request to let rightsize propose again", and closing then deleted the person's commit.
    expect(comments).toEqual([
      "rightsize did not update this branch: alice pushed 444444444444 to it. It will not push to this branch again, whatever happens to this pull request: merge it as it is, or close it. rightsize never deletes a branch that holds someone else's commits; once this branch is gone, rightsize proposes for this workload again.\n\n<!-- rightsize:foreign-push -->",
    ]);

    listing()
      .get(`${REPO}/issues/12/comments`)
      .query({ per_page: "100" })
      .reply(200, [{ body: comments[0], user: BOT_USER }]);
    await app.receive("push", push);
  });

  it("ignores rightsize's own pushes", async () => {
    const app = await createTestApp();
    const push = eventPayload<Record<string, unknown> & { sender: { type: string } }>("push", (payload) => {
      payload.ref = `refs/heads/${FRONTEND}`;
      payload.sender.type = "Bot";
    });
    await app.receive("push", push);
  });
});

describe("the refresh checkbox", () => {
  it("does what /rightsize refresh does, and the refreshed body has the box unticked", async () => {
    const app = await createTestApp({ clusters: replayClusters(["frontend"]) });
    const body = await proposalBody("frontend");
    const ticked = body.replace("- [ ] refresh this proposal", "- [x] refresh this proposal");
    const base = git(repo.remote, "rev-parse", "main").trim();
    const head = "9".repeat(40);
    let refreshed = "";
    const replies: string[] = [];
    expectInstallationToken();
    nock(API)
      // A tick obeys the rule of commands (SPEC §9).
      .get(`${REPO}/collaborators/alice/permission`)
      .reply(200, { permission: "write", role_name: "write" })
      .get(`${REPO}/contents/.github%2Frightsize.yml`)
      .reply(200, POLICY, RAW)
      .get(`${REPO}/pulls`)
      .query({ state: "closed", sort: "updated", direction: "desc", per_page: "100" })
      .reply(200, [])
      .get(`${REPO}/pulls`)
      .query({ state: "open", per_page: "100" })
      .reply(200, [{ number: 12, html_url: "https://github.com/acme/shop-config/pull/12", title: "t", body: ticked, head: { ref: FRONTEND, sha: head, repo: { full_name: "acme/shop-config" } }, user: BOT_USER }])
      .get(`${REPO}/compare/${base}...${head}`)
      .query({ per_page: "2" })
      .reply(200, { ahead_by: 1, commits: [{ sha: head, commit: { message: "x\n\nRightsize-Decision: abc", tree: { sha: "old-tree" } }, parents: [{ sha: base }] }] })
      .post(`${REPO}/git/trees`)
      .reply(201, { sha: "new-tree" })
      .post(`${REPO}/git/commits`)
      .reply(201, { sha: "new-commit" })
      .get(refPath(FRONTEND, "ref"))
      .reply(200, { object: { sha: head } })
      .patch(refPath(FRONTEND), { sha: "new-commit", force: true })
      .reply(200, {})
      .patch(`${REPO}/pulls/12`, (request) => ((refreshed = request.body), true))
      .reply(200, {})
      .post(`${REPO}/issues/12/labels`)
      .reply(200, [])
      .get(`${REPO}/pulls/12`)
      .reply(() => [200, { number: 12, state: "open", body: refreshed, user: BOT_USER }])
      .post(`${REPO}/issues/12/comments`, (request) => replies.push(request.body) > 0)
      .reply(201, {});
    await app.receive("pull_request", pullRequestEvent("pull_request.edited", FRONTEND, ticked));
    expect(refreshed).toContain("- [ ] refresh this proposal");
    expect(replies).toEqual([
      "@alice rightsize refreshed this proposal: the branch and this description are up to date. rightsize(shop/frontend): cpu 500m→250m, memory 512Mi→256Mi\n",
    ]);
  });

  it("does nothing for an edit that leaves the box as it was", async () => {
    const app = await createTestApp();
    const body = await proposalBody("frontend");
    await app.receive("pull_request", pullRequestEvent("pull_request.edited", FRONTEND, body));
  });
});
