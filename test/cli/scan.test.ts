import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { rightsize } from "../helpers/cli.js";
import { exampleRepo, git, type ExampleRepo } from "../helpers/git-repo.js";

const API = "https://api.github.com";
const REPO = "/repos/acme/shop-config";
const ROOT = path.join(import.meta.dirname, "../..");
const EXAMPLE = parseObservationSnapshotText(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8"));

let repo: ExampleRepo;
let snapshot: string;

beforeEach(() => {
  repo = exampleRepo();
  snapshot = path.join(mkdtempSync(path.join(tmpdir(), "rightsize-scan-")), "snapshot.json");
  writeFileSync(snapshot, JSON.stringify({ ...EXAMPLE, workloads: EXAMPLE.workloads.filter((workload) => workload.workload.name === "frontend") }));
});

afterEach(() => {
  repo.cleanup();
  rmSync(path.dirname(snapshot), { recursive: true, force: true });
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

/** The repository, and the token's account (read once: markers count only in what it wrote). */
function expectRepository() {
  return nock(API).get(REPO).reply(200, { default_branch: "main", clone_url: repo.remote }).get("/user").reply(200, { login: "platform-ci", type: "User" });
}

describe("rightsize scan", () => {
  it("proposes through the Git Data API, as the app's schedule does", async () => {
    expectRepository();
    nock(API)
      // The merged proposals, listed once: for the steps of the run and the checks after merge.
      .get(`${REPO}/pulls`)
      .query({ state: "closed", sort: "updated", direction: "desc", per_page: "100" })
      .reply(200, [])
      .get(`${REPO}/pulls`)
      .query({ state: "open", per_page: "100" })
      .reply(200, [])
      .get(`${REPO}/pulls`)
      .query(true)
      .reply(200, [])
      .post(`${REPO}/git/trees`)
      .reply(201, { sha: "tree" })
      .post(`${REPO}/git/commits`, (body) => body.parents[0] === git(repo.remote, "rev-parse", "main").trim())
      .reply(201, { sha: "c0ffee" })
      .post(`${REPO}/git/refs`, { ref: "refs/heads/rightsize/prod/shop/deployment-frontend", sha: "c0ffee" })
      .reply(201, {})
      .post(`${REPO}/pulls`)
      .reply(201, { number: 3, html_url: "https://github.com/acme/shop-config/pull/3", head: { sha: "c0ffee" } })
      .post(`${REPO}/issues/3/labels`)
      .reply(200, [])
      .post(`${REPO}/pulls/3/requested_reviewers`)
      .reply(201, {})
      .get(`${REPO}/issues`)
      .query({ state: "open", labels: "rightsize", per_page: "100" })
      .reply(200, [])
      // The dashboard issue, created on the first scan.
      .get(`${REPO}/pulls`)
      .query({ state: "open", per_page: "100" })
      .reply(200, [{ number: 3, title: "rightsize(shop/frontend): cpu 500m→250m, memory 512Mi→256Mi", body: "", head: { ref: "rightsize/prod/shop/deployment-frontend" } }])
      .get(`${REPO}/issues`)
      .query({ state: "open", labels: "rightsize", per_page: "100" })
      .reply(200, [])
      .post(`${REPO}/issues`, (body) => body.title === "rightsize dashboard" && body.body.includes("<!-- rightsize:dashboard -->"))
      .reply(201, { number: 9 });
    const result = await rightsize("scan", "--github-token", "ghp_scan_token_for_tests", "--repo", "acme/shop-config", "--snapshot", snapshot);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const base = git(repo.remote, "rev-parse", "main").trim().slice(0, 12);
    expect(result.stdout).toBe(
      [
        "acme/shop-config:",
        `  base main at ${base}, policy .github/rightsize.yml`,
        "BRANCH                                   STATUS   WORKLOADS                      DETAIL",
        "rightsize/prod/shop/deployment-frontend  created  prod/shop/Deployment/frontend  https://github.com/acme/shop-config/pull/3",
        "  dashboard issue #9 created",
        "",
      ].join("\n"),
    );
    expect(result.stdout + result.stderr).not.toContain("ghp_scan_token_for_tests");
  });

  it("opens the policy issue for an invalid policy and goes on with the next repository; the exit status is the worst (3: GitHub failed)", async () => {
    const policy = path.join(repo.work, ".github/rightsize.yml");
    writeFileSync(policy, readFileSync(policy, "utf8").replace("mode: propose", "mode: sometimes"));
    git(repo.work, "commit", "--quiet", "-am", "Break the policy");
    git(repo.work, "push", "--quiet", "origin", "main");
    expectRepository();
    nock(API)
      .get(`${REPO}/issues`)
      .query(true)
      .reply(200, [])
      .post(`${REPO}/issues`, (body) => body.title === "rightsize: fix the policy file")
      .reply(201, { number: 8 })
      .get("/repos/acme/missing")
      .reply(404, { message: "Not Found" });
    const result = await rightsize("scan", "--github-token", "ghp_scan_token_for_tests", "--repo", "acme/shop-config", "--repo", "acme/missing", "--snapshot", snapshot);
    expect(result.status).toBe(3);
    expect(result.stdout.split("\n").slice(0, 3)).toEqual([
      "acme/shop-config:",
      "  the policy is invalid, proposals paused (issue #8 created):",
      expect.stringMatching(/^ {2}\.github\/rightsize\.yml:4:7 mode: /),
    ]);
    expect(result.stdout).toContain("acme/missing:\n  failed: GitHub: could not read the repository (check the name and the token's access) in acme/missing (HTTP 404): Not Found");
  });

  it("needs a token and a repository", async () => {
    const saved = { token: process.env.GITHUB_TOKEN, repository: process.env.GITHUB_REPOSITORY };
    delete process.env.GITHUB_TOKEN;
    delete process.env.GITHUB_REPOSITORY;
    try {
      expect(await rightsize("scan", "--repo", "acme/shop-config")).toMatchObject({ status: 2, stderr: "rightsize: scan needs a GitHub token: --github-token TOKEN or $GITHUB_TOKEN\n" });
      expect(await rightsize("scan", "--github-token", "t")).toMatchObject({ status: 2, stderr: "rightsize: name the repositories to scan: --repo OWNER/NAME (or set $GITHUB_REPOSITORY)\n" });
    } finally {
      if (saved.token !== undefined) process.env.GITHUB_TOKEN = saved.token;
      if (saved.repository !== undefined) process.env.GITHUB_REPOSITORY = saved.repository;
    }
  });
});
