import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Octokit } from "@octokit/rest";
import { scanGitHubRepository } from "../../src/pipeline/index.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { webhookPayload } from "../helpers/events.js";
import { writeExampleSnapshot } from "../helpers/example.js";
import { GitHubStandIn } from "../helpers/github-standin.js";

/**
 * The issue's "done when", end to end: a writer's `/rightsize all` on a repository with three
 * workloads, against a loopback GitHub (REST and git over HTTP from a real bare repository).
 */

let github: GitHubStandIn;
let app: TestApp;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-e2e-"));
  const snapshot = writeExampleSnapshot(scratch);
  github = await GitHubStandIn.withExample();
  app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot }] }, baseUrl: github.apiUrl });
});

afterAll(async () => {
  await github?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("/rightsize all against a loopback GitHub", () => {
  it("opens three pull requests whose diffs touch only resource values and decision records, links all three in one reply, and a repeat opens none", async () => {
    await app.receive("issue_comment", github.issueComment(501, "/rightsize all"));

    expect(github.pulls.map((pull) => pull.head).sort()).toEqual([
      "rightsize/prod/shop/deployment-api",
      "rightsize/prod/shop/deployment-checkout",
      "rightsize/prod/shop/deployment-frontend",
    ]);
    for (const pull of github.pulls) {
      const files = github.git("diff", "--name-only", `main...refs/heads/${pull.head}`).trim().split("\n");
      const manifests = files.filter((file) => !file.startsWith(".rightsize/decisions/"));
      expect(files.filter((file) => file.startsWith(".rightsize/decisions/"))).toHaveLength(1);
      const changed = github
        .git("diff", "--unified=0", `main...refs/heads/${pull.head}`, "--", ...manifests)
        .split("\n")
        .filter((line) => /^[-+](?![-+])/.test(line));
      expect(changed.length).toBeGreaterThan(0);
      for (const line of changed) expect(line).toMatch(/^[-+]\s*(cpu|memory|requests|limits)\b|^[-+]\s*requests: \{cpu: /);
      // One commit on main, written by the API (no custom author), with the decision trailer.
      expect(github.git("rev-list", "--count", `main..refs/heads/${pull.head}`).trim()).toBe("1");
      expect(github.git("log", "-1", "--format=%an|%cn|%B", `refs/heads/${pull.head}`)).toMatch(/^rightsize\[bot\]\|GitHub\|rightsize\(shop\/[a-z]+\): .*\nRightsize-Decision: [0-9a-f]{64}\n/s);
      expect(pull.labels).toEqual(expect.arrayContaining(["rightsize"]));
      expect(pull.reviewers).toEqual(["platform-team"]);
    }
    const replies = github.comments.filter((entry) => entry.issue === 1);
    expect(replies).toHaveLength(1);
    for (const pull of github.pulls) expect(replies[0]!.body).toContain(`- #${pull.number} opened: ${pull.title}`);
    expect(github.reactions).toEqual([{ comment: 501, content: "eyes" }]);

    const tips = github.pulls.map((pull) => github.git("rev-parse", `refs/heads/${pull.head}`));
    await app.receive("issue_comment", github.issueComment(502, "/rightsize all"));
    expect(github.pulls).toHaveLength(3);
    expect(github.pulls.map((pull) => github.git("rev-parse", `refs/heads/${pull.head}`))).toEqual(tips);
    const second = github.comments.filter((entry) => entry.issue === 1)[1]!.body;
    expect(second.match(/ unchanged: /g)).toHaveLength(3);
    expect(second).not.toContain(" opened: ");
  });
});

describe("the dashboard issue against a loopback GitHub", () => {
  it("is created by a scan, and a ticked box asks for a fresh proposal and comes back unticked", async () => {
    const repository = { owner: "acme", repo: "shop-config", defaultBranch: "main", cloneUrl: github.cloneUrl, botLogin: "rightsize[bot]" };
    const snapshot = JSON.parse(readFileSync(path.join(scratch, "snapshot.json"), "utf8"));
    await scanGitHubRepository({
      octokit: new Octokit({ auth: "t", baseUrl: github.apiUrl }),
      repository,
      token: "t",
      now: new Date("2026-11-23T06:00:00Z"),
      observe: async () => ({ snapshot, at: snapshot.createdAt }),
    });
    const dashboards = github.issues.filter((issue) => issue.title === "rightsize dashboard");
    expect(dashboards).toHaveLength(1);
    const dashboard = dashboards[0]!;
    expect(dashboard.body).toContain("**rightsize watches 3 workloads; 3 proposals are open.**");
    const row = "- [ ] `shop/Deployment/checkout` (prod): #";
    expect(dashboard.body).toContain(row);
    const ticked = dashboard.body.replace(row, "- [x] `shop/Deployment/checkout` (prod): #");
    const before = dashboard.body;
    dashboard.body = ticked;
    const requests = github.requests.length;
    await app.receive(
      "issues",
      webhookPayload("issues", "edited", {
        issue: { number: dashboard.number, title: dashboard.title, body: ticked, state: "open", user: { login: "rightsize[bot]", type: "Bot" } },
        changes: { body: { from: before } },
        repository: github.repositoryPayload(),
        sender: { login: "alice", type: "User" },
        installation: { id: 2 },
      }),
    );
    expect(github.requests.slice(requests).some((request) => request.endsWith("/git-upload-pack"))).toBe(true);
    expect(dashboard.body).toBe(before);
    expect(dashboard.body).not.toContain("- [x]");
  });
});
