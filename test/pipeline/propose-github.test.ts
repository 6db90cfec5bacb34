import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ObservationSnapshot } from "../../src/domain/index.js";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { renderStateMarker } from "../../src/pipeline/lifecycle/state.js";
import { exampleRepo, git, type ExampleRepo } from "../helpers/git-repo.js";
import { proposeWithGitHub } from "../helpers/propose.js";
import { BOT_USER } from "../helpers/app.js";

const API = "https://api.github.com";
const REPO = "/repos/acme/shop-config";
const BRANCH = "rightsize/prod/shop/deployment-frontend";
const EXAMPLE_SNAPSHOT = parseObservationSnapshotText(readFileSync(path.join(import.meta.dirname, "../../examples/snapshot.json"), "utf8"));

/** Only the frontend is observed, so exactly one proposal is made. */
const frontendOnly: ObservationSnapshot = { ...EXAMPLE_SNAPSHOT, workloads: EXAMPLE_SNAPSHOT.workloads.filter((workload) => workload.workload.name === "frontend") };

let repo: ExampleRepo;

beforeEach(() => {
  repo = exampleRepo();
});

afterEach(() => {
  repo.cleanup();
  nock.cleanAll();
});

async function propose(at = frontendOnly.createdAt) {
  return proposeWithGitHub(repo.work, frontendOnly, { token: "ghs_test_token", remote: "origin", owner: "acme", repo: "shop-config", apiUrl: API }, at);
}

function openPull(number: number, branch: string, body = "") {
  return { number, html_url: `https://github.com/acme/shop-config/pull/${number}`, title: "t", body, head: { ref: branch, repo: { full_name: "acme/shop-config" } }, user: BOT_USER };
}

function expectCreate(number: number) {
  return nock(API)
    .get(`${REPO}/pulls`)
    .query({ state: "closed", head: `acme:${BRANCH}`, sort: "updated", direction: "desc", per_page: "30" })
    .reply(200, [])
    .post(`${REPO}/pulls`, (body) => body.head === BRANCH && body.base === "main" && body.title === "rightsize(shop/frontend): cpu 500m→250m, memory 512Mi→256Mi" && body.draft === false)
    .reply(201, { number, html_url: `https://github.com/acme/shop-config/pull/${number}` })
    .post(`${REPO}/issues/${number}/labels`, { labels: ["rightsize", "confidence:high", "safety:safe"] })
    .reply(200, [])
    .post(`${REPO}/pulls/${number}/requested_reviewers`, { reviewers: ["platform-team"] })
    .reply(201, {});
}

const remoteTip = () => git(repo.remote, "rev-parse", "--verify", "--quiet", `refs/heads/${BRANCH}`).trim();

describe("propose with a GitHub token", () => {
  it("pushes the branch and opens a labelled pull request with reviewers", async () => {
    nock(API).get(`${REPO}/pulls`).query({ state: "open", per_page: "100" }).reply(200, []);
    const create = expectCreate(12);
    const run = await propose();
    expect(run.results).toMatchObject([{ branch: BRANCH, status: "created", pullRequestUrl: "https://github.com/acme/shop-config/pull/12" }]);
    expect(create.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
    const tip = remoteTip();
    expect(git(repo.remote, "rev-parse", `${tip}^`).trim()).toBe(git(repo.remote, "rev-parse", "main").trim());
    expect(git(repo.remote, "diff", "--stat", "main", tip)).toContain("apps/storefront/frontend.yaml");
    expect(git(repo.remote, "log", "-1", "--format=%B", tip)).toMatch(/\nRightsize-Decision: [0-9a-f]{64}\n/);
  });

  it("updates the existing pull request on a re-run instead of opening another", async () => {
    nock(API).get(`${REPO}/pulls`).query({ state: "open", per_page: "100" }).reply(200, []);
    expectCreate(12);
    await propose();
    const firstTip = remoteTip();

    nock(API)
      .get(`${REPO}/pulls`)
      .query({ state: "open", per_page: "100" })
      .reply(200, [openPull(12, BRANCH, "an older body")])
      .patch(`${REPO}/pulls/12`, (body) => body.title === "rightsize(shop/frontend): cpu 500m→250m, memory 512Mi→256Mi" && body.body.includes("<!-- rightsize:state "))
      .reply(200, {})
      .post(`${REPO}/issues/12/labels`)
      .reply(200, []);
    const run = await propose("2026-11-23T07:00:00Z");
    expect(run.results).toMatchObject([{ status: "updated", pullRequestUrl: "https://github.com/acme/shop-config/pull/12" }]);
    expect(nock.pendingMocks()).toEqual([]);
    const secondTip = remoteTip();
    expect(secondTip).not.toBe(firstTip);
    expect(git(repo.remote, "rev-list", "--count", `main..${secondTip}`).trim()).toBe("1");
  });

  it("does not re-propose values within minChangePercent of a pull request closed without merging", async () => {
    const declinedBody = `old proposal\n${renderStateMarker({
      version: 1,
      branch: BRANCH,
      workloads: [{ key: "prod/shop/Deployment/frontend", inputsDigest: "0".repeat(64), containers: { web: { cpu: "240m", memory: "250Mi" } } }],
    })}`;
    nock(API)
      .get(`${REPO}/pulls`)
      .query({ state: "open", per_page: "100" })
      .reply(200, [])
      .get(`${REPO}/pulls`)
      .query({ state: "closed", head: `acme:${BRANCH}`, sort: "updated", direction: "desc", per_page: "30" })
      .reply(200, [{ ...openPull(9, BRANCH, declinedBody), merged_at: null, closed_at: "2026-11-20T17:04:00Z" }]);
    const run = await propose();
    expect(run.results).toMatchObject([{ status: "declined", pullRequestUrl: "https://github.com/acme/shop-config/pull/9" }]);
    expect(run.results[0]!.reason).toBe(
      "pull request #9 (`web`: cpu 240m, memory 250Mi) was closed without merging on 2026-11-20; values within 10% of it are not proposed again",
    );
    expect(nock.pendingMocks()).toEqual([]);
    expect(() => remoteTip()).toThrow();
  });

  it("keeps honouring a decline after a later merge of the same workload (the decline notice says 'not again')", async () => {
    const body = (number: number, containers: Record<string, { cpu: string; memory: string }>) =>
      `proposal #${number}\n${renderStateMarker({ version: 1, branch: BRANCH, workloads: [{ key: "prod/shop/Deployment/frontend", inputsDigest: "0".repeat(64), containers }] })}`;
    nock(API)
      .get(`${REPO}/pulls`)
      .query({ state: "open", per_page: "100" })
      .reply(200, [])
      .get(`${REPO}/pulls`)
      .query({ state: "closed", head: `acme:${BRANCH}`, sort: "updated", direction: "desc", per_page: "30" })
      .reply(200, [
        // Newest first: a merge of other values, then the decline of (nearly) the values proposed now.
        { ...openPull(11, BRANCH, body(11, { web: { cpu: "400m", memory: "400Mi" } })), merged_at: "2026-11-21T10:00:00Z", closed_at: "2026-11-21T10:00:00Z" },
        { ...openPull(9, BRANCH, body(9, { web: { cpu: "240m", memory: "250Mi" } })), merged_at: null, closed_at: "2026-11-20T17:04:00Z" },
      ]);
    const run = await propose();
    expect(run.results).toMatchObject([{ status: "declined", pullRequestUrl: "https://github.com/acme/shop-config/pull/9" }]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("never pushes to a branch someone else pushed to, and says so once on the pull request", async () => {
    nock(API).get(`${REPO}/pulls`).query({ state: "open", per_page: "100" }).reply(200, []);
    expectCreate(12);
    await propose();
    const human = path.join(repo.root, "human");
    git(repo.root, "clone", "--quiet", "--branch", BRANCH, repo.remote, human);
    writeFileSync(path.join(human, "apps/storefront/frontend.yaml"), readFileSync(path.join(human, "apps/storefront/frontend.yaml"), "utf8").replace("memory: 256Mi", "memory: 300Mi"));
    git(human, "commit", "--quiet", "-am", "Keep a little more memory");
    git(human, "push", "--quiet", "origin", BRANCH);
    const humanTip = remoteTip();

    nock(API)
      .get(`${REPO}/pulls`)
      .query({ state: "open", per_page: "100" })
      .reply(200, [openPull(12, BRANCH)])
      .get(`${REPO}/issues/12/comments`)
      .query({ per_page: "100" })
      .reply(200, [])
      .post(`${REPO}/issues/12/comments`, (body) => body.body.startsWith("rightsize did not update this branch: the branch tip") && body.body.includes("<!-- rightsize:foreign-push -->"))
      .reply(201, {});
    const run = await propose("2026-11-23T07:00:00Z");
    expect(run.results).toMatchObject([{ status: "foreign" }]);
    expect(run.results[0]!.reason).toMatch(/is not a rightsize commit \(no Rightsize-Decision trailer\): someone else pushed to it$/);
    expect(nock.pendingMocks()).toEqual([]);
    expect(remoteTip()).toBe(humanTip);
  });

  it("respects rateLimits.maxOpenPullRequests", async () => {
    const open = Array.from({ length: 10 }, (_, index) => openPull(100 + index, `rightsize/prod/shop/deployment-other-${index}`));
    nock(API)
      .get(`${REPO}/pulls`)
      .query({ state: "open", per_page: "100" })
      .reply(200, open)
      .get(`${REPO}/pulls`)
      .query({ state: "closed", head: `acme:${BRANCH}`, sort: "updated", direction: "desc", per_page: "30" })
      .reply(200, []);
    const run = await propose();
    expect(run.results).toMatchObject([
      { status: "rate-limited", reason: "10 rightsize pull requests are open (rateLimits.maxOpenPullRequests: 10); merge or close some first" },
    ]);
    expect(nock.pendingMocks()).toEqual([]);
    expect(() => remoteTip()).toThrow();
  });
});
