import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitDataPublisher, GitWorkspace } from "../../src/pipeline/index.js";
import { type BranchState, type Proposal } from "../../src/pipeline/publish/types.js";
import { loadPolicy } from "../../src/policy/index.js";
import { exampleRepo, git, type ExampleRepo } from "../helpers/git-repo.js";

const API = "https://api.github.com";
const REPO = "/repos/acme/shop-config";
const BRANCH = "rightsize/prod/shop/deployment-frontend";
const policy = loadPolicy({ path: "p.yml", text: "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\n" }).policy;

let repo: ExampleRepo;
let base: string;
let publisher: GitDataPublisher;

beforeEach(() => {
  repo = exampleRepo();
  base = git(repo.work, "rev-parse", "main").trim();
  const octokit = new Octokit({ auth: "t", baseUrl: API });
  publisher = new GitDataPublisher(octokit, { owner: "acme", repo: "shop-config", botLogin: "rightsize[bot]" }, new GitWorkspace(repo.work), base);
});

afterEach(() => {
  repo.cleanup();
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

function proposal(content = "changed: true\n"): Proposal {
  return {
    branch: BRANCH,
    base: { branch: "main", commit: base },
    files: [{ path: "apps/storefront/frontend.yaml", content }],
    message: "rightsize(shop/frontend)\n\nRightsize-Decision: abc",
    rendered: { title: "rightsize(shop/frontend): cpu 500m→250m", body: "body", labels: ["rightsize"], state: { version: 1, branch: BRANCH, workloads: [] } },
    policy,
  };
}

const fresh: BranchState = { branch: BRANCH, openProposals: 0 };
/** The tree and the commit a publish writes first; chain what follows (the ref, the pull request). */
const newCommit = (sha: string) => nock(API).post(`${REPO}/git/trees`).reply(201, { sha: "tree" }).post(`${REPO}/git/commits`).reply(201, { sha });
const tipComparison = (message: string, ahead = 1) => ({ ahead_by: ahead, commits: [{ sha: "f".repeat(40), commit: { message, tree: { sha: "t" } }, parents: [{ sha: "0".repeat(40) }] }] });

describe("the Git Data API publisher", () => {
  it("takes over a leftover branch of its own when creating the ref finds it", async () => {
    newCommit("new")
      .post(`${REPO}/git/refs`)
      .reply(422, { message: "Reference already exists" })
      .get(/\/git\/ref\/heads/)
      .reply(200, { object: { sha: "f".repeat(40) } })
      .get(`${REPO}/compare/${base}...${"f".repeat(40)}`)
      .query(true)
      .reply(200, tipComparison("old proposal\n\nRightsize-Decision: 123"))
      .get(/\/git\/ref\/heads/)
      .reply(200, { object: { sha: "f".repeat(40) } })
      .patch(/\/git\/refs\/heads/, { sha: "new", force: true })
      .reply(200, {})
      .post(`${REPO}/pulls`)
      .reply(201, { number: 4, html_url: "https://github.com/acme/shop-config/pull/4", head: { sha: "new" } })
      .post(`${REPO}/issues/4/labels`)
      .reply(200, []);
    expect(await publisher.publish(proposal(), fresh)).toEqual({ status: "created", commit: "new", pullRequestUrl: "https://github.com/acme/shop-config/pull/4", pullRequestNumber: 4 });
  });

  it("leaves a leftover branch someone else committed to alone", async () => {
    newCommit("new")
      .post(`${REPO}/git/refs`)
      .reply(422, { message: "Reference already exists" })
      .get(/\/git\/ref\/heads/)
      .reply(200, { object: { sha: "f".repeat(40) } })
      .get(`${REPO}/compare/${base}...${"f".repeat(40)}`)
      .query(true)
      .reply(200, tipComparison("a human's change"));
    expect(await publisher.publish(proposal(), fresh)).toEqual({
      status: "foreign",
      reason: "the branch tip ffffffffffff is not a rightsize commit (no Rightsize-Decision trailer): someone else pushed to it",
    });
  });

  it("never overwrites a branch that moved after it was inspected", async () => {
    const open: BranchState = { ...fresh, pullRequest: { number: 4, url: "u", title: "t", body: "b", head: "f".repeat(40), byRightsize: true } };
    nock(API)
      .get(`${REPO}/compare/${base}...${"f".repeat(40)}`)
      .query(true)
      .reply(200, tipComparison("proposal\n\nRightsize-Decision: 123"))
      .post(`${REPO}/git/trees`)
      .reply(201, { sha: "tree" })
      .post(`${REPO}/git/commits`)
      .reply(201, { sha: "new" })
      .get(/\/git\/ref\/heads/)
      .reply(200, { object: { sha: "e".repeat(40) } });
    expect(await publisher.publish(proposal(), open)).toEqual({
      status: "foreign",
      reason: "the branch moved to eeeeeeeeeeee while rightsize was updating it: someone else pushed",
    });
  });

  it("writes nothing to the branch when its tree and base are what the proposal would write", async () => {
    const files = proposal().files;
    const { tree } = await new GitWorkspace(repo.work).writeTree(base, files);
    const open: BranchState = { ...fresh, pullRequest: { number: 4, url: "u", title: "rightsize(shop/frontend): cpu 500m→250m", body: "body", head: "f".repeat(40), byRightsize: true } };
    nock(API)
      .get(`${REPO}/compare/${base}...${"f".repeat(40)}`)
      .query(true)
      .reply(200, { ahead_by: 1, commits: [{ sha: "f".repeat(40), commit: { message: "p\n\nRightsize-Decision: 1", tree: { sha: tree } }, parents: [{ sha: base }] }] });
    expect(await publisher.publish(proposal(), open)).toEqual({ status: "unchanged", commit: "f".repeat(40), pullRequestUrl: "u", pullRequestNumber: 4 });
  });
});

describe("the tree a proposal would write", () => {
  it("is git's own tree id, and a second plan of the same edit on the same base asks git nothing", async () => {
    const files = proposal().files;
    const written = await new GitWorkspace(repo.work).writeTree(base, files);
    expect(await new GitWorkspace(repo.work).treeOf(base, files)).toEqual(written);
    // Content addressed: a workspace where git cannot run at all still knows it.
    const empty = mkdtempSync(path.join(tmpdir(), "rightsize-not-a-repository-"));
    try {
      const gone = new GitWorkspace(empty);
      expect(await gone.treeOf(base, files)).toEqual(written);
      // Other bytes are another tree: asked of git, which fails here.
      await expect(gone.treeOf(base, [{ ...files[0]!, content: `${files[0]!.content}# changed\n` }])).rejects.toThrow();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("when GitHub fails part-way", () => {
  it("a branch left without its pull request (GitHub failed after the ref) gets the pull request on the next run", async () => {
    newCommit("c1")
      .post(`${REPO}/git/refs`)
      .reply(201, {})
      .post(`${REPO}/pulls`)
      .reply(502, { message: "Server Error" });
    await expect(publisher.publish(proposal(), fresh)).rejects.toThrow("GitHub: could not open the pull request in acme/shop-config (HTTP 502): Server Error");

    // The next run: no pull request is open, the ref exists and is rightsize's own.
    newCommit("c2")
      .post(`${REPO}/git/refs`)
      .reply(422, { message: "Reference already exists" })
      .get(/\/git\/ref\/heads/)
      .reply(200, { object: { sha: "c1" } })
      .get(`${REPO}/compare/${base}...c1`)
      .query(true)
      .reply(200, tipComparison("rightsize(shop/frontend)\n\nRightsize-Decision: abc"))
      .get(/\/git\/ref\/heads/)
      .reply(200, { object: { sha: "c1" } })
      .patch(/\/git\/refs\/heads/, { sha: "c2", force: true })
      .reply(200, {})
      .post(`${REPO}/pulls`)
      .reply(201, { number: 5, html_url: "https://github.com/acme/shop-config/pull/5", head: { sha: "c2" } })
      .post(`${REPO}/issues/5/labels`)
      .reply(200, []);
    expect(await publisher.publish(proposal(), fresh)).toMatchObject({ status: "created", pullRequestNumber: 5 });
  });

  it("leaves no branch when GitHub fails between the commit and the ref", async () => {
    newCommit("c1")
      .post(`${REPO}/git/refs`)
      .reply(500, { message: "Server Error" });
    await expect(publisher.publish(proposal(), fresh)).rejects.toThrow("GitHub: could not create the branch in acme/shop-config (HTTP 500): Server Error");
  });
});
