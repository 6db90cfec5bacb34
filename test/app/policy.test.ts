import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderPolicyIssue } from "../../src/pipeline/policy/issue.js";
import { API, BOT_USER, createTestApp, eventPayload, expectInstallationToken, REPO, useAppTests } from "../helpers/app.js";
import { exampleRepo, type ExampleRepo } from "../helpers/git-repo.js";

const ROOT = path.join(import.meta.dirname, "../..");
const POLICY = readFileSync(path.join(ROOT, "examples/config-repo/.github/rightsize.yml"), "utf8");
const RAW = { "content-type": "application/vnd.github.raw; charset=utf-8" };
const HEAD = "2222222222222222222222222222222222222222";
const PUSHED = "4444444444444444444444444444444444444444";
/** Line 17 of the example policy is `  limits: keep`; a typo there is an unknown key. */
const INVALID = POLICY.replace("  limits: keep", "  limit: keep").replace("mode: propose", "mode: sometimes");

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

function pullRequestOpened() {
  return eventPayload<{ repository: { clone_url: string } }>("pull_request.opened", (payload) => {
    payload.repository.clone_url = repo.remote;
  });
}

function expectChangedFiles(files: string[]) {
  return nock(API)
    .get(`${REPO}/pulls/30/files`)
    .query({ per_page: "100" })
    .reply(200, files.map((filename) => ({ filename, status: "modified" })));
}

function captureCheckRun(headSha: string): { body?: Record<string, unknown> } {
  const check: { body?: Record<string, unknown> } = {};
  nock(API)
    .get(`${REPO}/commits/${headSha}/check-runs`)
    .query({ check_name: "rightsize policy", filter: "latest", per_page: "1" })
    .reply(200, { total_count: 0, check_runs: [] })
    .post(`${REPO}/check-runs`, (body) => ((check.body = body), true))
    .reply(201, { id: 77 });
  return check;
}

describe("a pull request that changes the policy", () => {
  it("gets a failing check run with one annotation per problem at its line", async () => {
    const app = await createTestApp();
    expectInstallationToken();
    expectChangedFiles(["apps/storefront/frontend.yaml", ".github/rightsize.yml"]);
    nock(API).get(`${REPO}/contents/.github%2Frightsize.yml`).query({ ref: HEAD }).reply(200, INVALID, RAW);
    const check = captureCheckRun(HEAD);
    await app.receive("pull_request", pullRequestOpened());
    expect(check.body).toMatchObject({ name: "rightsize policy", head_sha: HEAD, status: "completed", conclusion: "failure" });
    const output = check.body!.output as { title: string; summary: string; annotations: Record<string, unknown>[] };
    expect(output.title).toBe("2 problems in the policy file");
    expect(output.annotations).toEqual([
      {
        path: ".github/rightsize.yml",
        start_line: 4,
        end_line: 4,
        start_column: 7,
        end_column: 7,
        annotation_level: "failure",
        title: "mode",
        message: expect.stringContaining('"sometimes"'),
      },
      {
        path: ".github/rightsize.yml",
        start_line: 17,
        end_line: 17,
        start_column: 3,
        end_column: 3,
        annotation_level: "failure",
        title: "recommend.limit",
        message: 'unknown key "limit": did you mean "limits"?',
      },
    ]);
    // It said "while the policy on the default branch is invalid" of a pull request's policy.
    expect(output.summary.split("\n")[0]).toBe("Merged as it is, this policy would pause rightsize's proposals. Fix each problem:");
  });

  it("gets a passing check run whose summary previews what the new policy would propose", async () => {
    const snapshot = path.join(scratch, "snapshot.json");
    writeFileSync(snapshot, readFileSync(path.join(ROOT, "examples/snapshot.json")));
    const app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot }] } });
    // The change: decreases capped at 20% instead of 50%.
    const tighter = POLICY.replace("  limits: keep", "  limits: keep\n  maxDecreasePercent: 20");
    expectInstallationToken();
    expectChangedFiles([".github/rightsize.yml"]);
    nock(API).get(`${REPO}/contents/.github%2Frightsize.yml`).query({ ref: HEAD }).reply(200, tighter, RAW);
    const check = captureCheckRun(HEAD);
    await app.receive("pull_request", pullRequestOpened());
    expect(check.body).toMatchObject({ conclusion: "success", output: { title: "The policy file is valid" } });
    const summary = (check.body!.output as { summary: string }).summary;
    expect(summary).toContain("#### What this policy change would do (observations of 2026-11-23T06:00:00Z)");
    expect(summary).toContain("| `shop/Deployment/frontend` | would propose other values | `web`: cpu 250m, memory 256Mi | `web`: cpu 400m, memory 410Mi |");
  });

  it("gets a failing check run at the line naming a cluster the operator does not serve (it passed, and the next run refused it)", async () => {
    const snapshot = path.join(scratch, "snapshot.json");
    writeFileSync(snapshot, readFileSync(path.join(ROOT, "examples/snapshot.json")));
    const app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot }] } });
    // Line 10 of the example policy is `    cluster: prod`, the value at column 14.
    const staging = POLICY.replace("    cluster: prod\n", "    cluster: staging\n");
    expectInstallationToken();
    expectChangedFiles([".github/rightsize.yml"]);
    nock(API).get(`${REPO}/contents/.github%2Frightsize.yml`).query({ ref: HEAD }).reply(200, staging, RAW);
    const check = captureCheckRun(HEAD);
    await app.receive("pull_request", pullRequestOpened());
    expect(check.body).toMatchObject({ conclusion: "failure", output: { title: "1 problem in the policy file" } });
    expect((check.body!.output as { annotations: unknown[] }).annotations).toEqual([
      {
        path: ".github/rightsize.yml",
        start_line: 10,
        end_line: 10,
        start_column: 14,
        end_column: 14,
        annotation_level: "failure",
        title: "targets[0].cluster",
        message: 'cluster "staging" is not observed by this rightsize installation (it observes "prod"); use one of those names, or ask the operator to add the cluster to the clusters file (RIGHTSIZE_CLUSTERS_FILE)',
      },
    ]);
  });

  it("gets no check run when the policy file is not among the changes", async () => {
    const app = await createTestApp();
    expectInstallationToken();
    expectChangedFiles(["apps/storefront/frontend.yaml"]);
    await app.receive("pull_request", pullRequestOpened());
  });
});

describe("the policy on the default branch", () => {
  function pushed() {
    return eventPayload<{ repository: { clone_url: string } }>("push", (payload) => {
      payload.repository.clone_url = repo.remote;
    });
  }

  /** Every push to the default branch looks for open rightsize pull requests it conflicts with (none here). */
  function expectNoOpenProposals() {
    return nock(API).get(`${REPO}/pulls`).query({ state: "open", per_page: "100" }).reply(200, []);
  }

  it("opens the issue 'rightsize: fix the policy file' when it becomes invalid, and closes it when it is fixed", async () => {
    const app = await createTestApp();
    expectInstallationToken();
    nock(API).get(`${REPO}/contents/.github%2Frightsize.yml`).query({ ref: PUSHED }).reply(200, INVALID, RAW);
    const check = captureCheckRun(PUSHED);
    let issue: Record<string, unknown> | undefined;
    nock(API)
      .get(`${REPO}/issues`)
      .query({ state: "open", labels: "rightsize", per_page: "100" })
      .reply(200, [])
      .post(`${REPO}/issues`, (body) => ((issue = body), true))
      .reply(201, { number: 40 });
    expectNoOpenProposals();
    await app.receive("push", pushed());
    expect(check.body).toMatchObject({ conclusion: "failure", head_sha: PUSHED });
    expect(issue).toMatchObject({ title: "rightsize: fix the policy file", labels: ["rightsize"] });
    const body = issue!.body as string;
    expect(body.split("\n").slice(0, 4)).toEqual([
      "rightsize has paused proposals in this repository: the policy on `main` is not valid. Fix every problem below; rightsize closes this issue when the file is valid again.",
      "",
      expect.stringMatching(/^- `\.github\/rightsize\.yml:4:7 mode: /),
      '- `.github/rightsize.yml:17:3 recommend.limit: unknown key "limit": did you mean "limits"?`',
    ]);

    // The same push delivered again: the issue is already up to date.
    nock(API).get(`${REPO}/contents/.github%2Frightsize.yml`).query({ ref: PUSHED }).reply(200, INVALID, RAW);
    nock(API)
      .get(`${REPO}/commits/${PUSHED}/check-runs`)
      .query(true)
      .reply(200, { total_count: 1, check_runs: [{ id: 77 }] })
      .patch(`${REPO}/check-runs/77`)
      .reply(200, {})
      .get(`${REPO}/issues`)
      .query(true)
      .reply(200, [{ number: 40, title: "rightsize: fix the policy file", body, user: BOT_USER }]);
    expectNoOpenProposals();
    await app.receive("push", pushed());

    // Fixed: the issue is closed with a comment.
    const closing: string[] = [];
    nock(API).get(`${REPO}/contents/.github%2Frightsize.yml`).query({ ref: PUSHED }).reply(200, POLICY, RAW);
    captureCheckRun(PUSHED);
    nock(API)
      .get(`${REPO}/issues`)
      .query(true)
      .reply(200, [{ number: 40, title: "rightsize: fix the policy file", body, user: BOT_USER }])
      .post(`${REPO}/issues/40/comments`, (request) => closing.push(request.body) > 0)
      .reply(201, {})
      .patch(`${REPO}/issues/40`, { state: "closed", state_reason: "completed" })
      .reply(200, {});
    expectNoOpenProposals();
    await app.receive("push", pushed());
    expect(closing).toEqual(["The policy on `main` is valid again; rightsize proposes again."]);
  });

  it("renders the issue body from the problems alone, so a repeated scan leaves it unchanged", () => {
    const problem = { severity: "error" as const, file: ".github/rightsize.yml", line: 3, column: 1, field: "kind", message: 'expected "RightsizePolicy", got "Policy"' };
    expect(renderPolicyIssue([problem], "main")).toBe(
      [
        "rightsize has paused proposals in this repository: the policy on `main` is not valid. Fix every problem below; rightsize closes this issue when the file is valid again.",
        "",
        '- `.github/rightsize.yml:3:1 kind: expected "RightsizePolicy", got "Policy"`',
        "",
        "`/rightsize policy validate` in any issue checks the file again; the README's policy reference lists every setting with its default.",
        "",
        "<!-- rightsize:policy-issue -->",
      ].join("\n"),
    );
  });
});
