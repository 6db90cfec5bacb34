import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseObservationSnapshotText, type ObservationSnapshot } from "../../src/domain/index.js";
import { API, createTestApp, eventPayload, expectInstallationToken, REPO, useAppTests } from "../helpers/app.js";
import { exampleRepo, git, type ExampleRepo } from "../helpers/git-repo.js";

const ROOT = path.join(import.meta.dirname, "../..");
const EXAMPLE = parseObservationSnapshotText(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8"));
const POLICY = readFileSync(path.join(ROOT, "examples/config-repo/.github/rightsize.yml"), "utf8");
const THREE = ["frontend", "checkout", "api"];
const BRANCHES = ["rightsize/prod/shop/deployment-frontend", "rightsize/prod/shop/deployment-checkout", "rightsize/prod/shop/deployment-api"];

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

/** The operator's clusters file replaying the example snapshot, narrowed to some workloads. */
function replayClusters(names: readonly string[]) {
  const snapshot: ObservationSnapshot = { ...EXAMPLE, workloads: EXAMPLE.workloads.filter((workload) => names.includes(workload.workload.name)) };
  const file = path.join(scratch, "snapshot.json");
  writeFileSync(file, JSON.stringify(snapshot));
  return { clusters: [{ name: "prod", snapshot: file }] };
}

function comment(body: string, id = 9001) {
  return eventPayload<{ comment: { id: number; body: string }; repository: { clone_url: string } }>("issue_comment.created", (payload) => {
    payload.comment.body = body;
    payload.comment.id = id;
    payload.repository.clone_url = repo.remote;
  });
}

/** What every command comment starts with: no earlier reply, the 👀 reaction, a writer. */
function expectAcknowledged(commentId = 9001, permission = "write") {
  return nock(API)
    .get(`${REPO}/issues/5/comments`)
    .query({ per_page: "100" })
    .reply(200, [])
    .post(`${REPO}/issues/comments/${commentId}/reactions`, { content: "eyes" })
    .reply(201, {})
    .get(`${REPO}/collaborators/alice/permission`)
    .reply(200, { permission, role_name: permission });
}

function expectPolicyRead(text = POLICY) {
  return nock(API).get(`${REPO}/contents/.github%2Frightsize.yml`).reply(200, text, { "content-type": "application/vnd.github.raw; charset=utf-8" });
}

interface CreatedPullRequest {
  branch: string;
  number: number;
  title: string;
  body: string;
  tree: { path: string; content: string }[];
}

/** The Git Data API calls of one new proposal: tree, commit, ref, pull request, labels, reviewers. */
function expectNewProposal(branch: string, number: number, created: CreatedPullRequest[]) {
  const record: Partial<CreatedPullRequest> = { branch, number };
  return nock(API)
    .get(`${REPO}/pulls`)
    .query({ state: "closed", head: `acme:${branch}`, sort: "updated", direction: "desc", per_page: "10" })
    .reply(200, [])
    .post(`${REPO}/git/trees`, (body) => {
      if (!body.tree.some((entry: { path: string }) => entry.path === `.rightsize/decisions/prod/shop/${branch.split("/").pop()}.json`)) return false;
      record.tree = body.tree;
      return typeof body.base_tree === "string";
    })
    .reply(201, { sha: `tree-${number}` })
    .post(`${REPO}/git/commits`, (body) => body.tree === `tree-${number}` && body.parents.length === 1 && !("author" in body) && /\nRightsize-Decision: [0-9a-f]{64}$/.test(body.message))
    .reply(201, { sha: `commit-${number}` })
    .post(`${REPO}/git/refs`, { ref: `refs/heads/${branch}`, sha: `commit-${number}` })
    .reply(201, {})
    .post(`${REPO}/pulls`, (body) => {
      if (body.head !== branch) return false;
      Object.assign(record, { title: body.title, body: body.body });
      created.push(record as CreatedPullRequest);
      return body.base === "main" && body.draft === false;
    })
    .reply(201, { number, html_url: `https://github.com/acme/shop-config/pull/${number}`, head: { sha: `commit-${number}` } })
    .post(`${REPO}/issues/${number}/labels`)
    .reply(200, [])
    .post(`${REPO}/pulls/${number}/requested_reviewers`, { reviewers: ["platform-team"] })
    .reply(201, {});
}

function captureReply(commentId = 9001): { text?: string } {
  const reply: { text?: string } = {};
  nock(API)
    .post(`${REPO}/issues/5/comments`, (body) => {
      reply.text = body.body;
      return body.body.endsWith(`<!-- rightsize:reply ${commentId} -->\n`);
    })
    .reply(201, {});
  return reply;
}

/** Lines that differ between two texts (the edits keep the line count for existing values). */
function changedLines(before: string, after: string): string[] {
  const old = before.split("\n");
  return after.split("\n").filter((line, index) => line !== old[index]);
}

describe("/rightsize all", () => {
  it("opens one pull request per workload, changing only resource values and decision records, and links them all in one reply", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    const created: CreatedPullRequest[] = [];
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead();
    nock(API).get(`${REPO}/pulls`).query({ state: "open", per_page: "100" }).reply(200, []);
    BRANCHES.forEach((branch, index) => expectNewProposal(branch, 101 + index, created));
    const reply = captureReply();

    await app.receive("issue_comment", comment("Please size these:\n/rightsize all"));

    expect(created.map((pull) => pull.branch).sort()).toEqual([...BRANCHES].sort());
    for (const pull of created) {
      for (const entry of pull.tree) {
        if (entry.path.startsWith(".rightsize/decisions/")) continue;
        const base = readFileSync(path.join(repo.work, entry.path), "utf8");
        const changed = changedLines(base, entry.content);
        expect(changed.length).toBeGreaterThan(0);
        for (const line of changed) expect(line).toMatch(/^\s*(cpu|memory|requests|limits)\b|\{cpu: /);
      }
    }
    const byBranch = Object.fromEntries(created.map((pull) => [pull.branch, pull]));
    expect(reply.text).toBe(
      [
        "@alice rightsize proposed 3 pull requests:",
        `- #${byBranch[BRANCHES[1]!]!.number} opened: ${byBranch[BRANCHES[1]!]!.title}`,
        `- #${byBranch[BRANCHES[0]!]!.number} opened: ${byBranch[BRANCHES[0]!]!.title}`,
        `- #${byBranch[BRANCHES[2]!]!.number} opened: ${byBranch[BRANCHES[2]!]!.title}`,
        "",
        "<!-- rightsize:reply 9001 -->",
        "",
      ].join("\n"),
    );
  });
});
