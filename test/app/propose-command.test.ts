import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseObservationSnapshotText, type ObservationSnapshot } from "../../src/domain/index.js";
import { renderHelp } from "../../src/app/render/help.js";
import { API, BOT_USER, createTestApp, eventPayload, expectInstallationToken, expectMergedListing, REPO, useAppTests } from "../helpers/app.js";
import { exampleRepo, git, type ExampleRepo } from "../helpers/git-repo.js";
import { startLoopbackServer } from "../helpers/http.js";

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

/**
 * What every writer's command comment starts with: the permission (asked once a minute per
 * person, so a second comment within the minute does not ask again), no earlier reply, the 👀
 * reaction.
 */
function expectAcknowledged(commentId = 9001, permission: string | false = "write") {
  const scope = nock(API);
  if (permission) scope.get(`${REPO}/collaborators/alice/permission`).reply(200, { permission, role_name: permission });
  return scope
    .get(`${REPO}/issues/5/comments`)
    .query({ per_page: "100" })
    .reply(200, [])
    .post(`${REPO}/issues/comments/${commentId}/reactions`, { content: "eyes" })
    .reply(201, {});
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
    .query({ state: "closed", head: `acme:${branch}`, sort: "updated", direction: "desc", per_page: "30" })
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
    expectMergedListing();
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

function openPullRequests(created: readonly CreatedPullRequest[]) {
  return created.map((pull) => ({
    number: pull.number,
    html_url: `https://github.com/acme/shop-config/pull/${pull.number}`,
    title: pull.title,
    body: pull.body,
    head: { ref: pull.branch, sha: `commit-${pull.number}`, repo: { full_name: "acme/shop-config" } },
    user: BOT_USER,
  }));
}

describe("repeats", () => {
  it("opens nothing when the same command comes again: the reply links the same pull requests", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    const created: CreatedPullRequest[] = [];
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead();
    expectMergedListing();
    nock(API).get(`${REPO}/pulls`).query({ state: "open", per_page: "100" }).reply(200, []);
    BRANCHES.forEach((branch, index) => expectNewProposal(branch, 101 + index, created));
    captureReply();
    await app.receive("issue_comment", comment("/rightsize all"));
    expect(nock.pendingMocks()).toEqual([]);

    expectAcknowledged(9002, false);
    expectPolicyRead();
    expectMergedListing();
    nock(API).get(`${REPO}/pulls`).query({ state: "open", per_page: "100" }).reply(200, openPullRequests(created));
    const reply = captureReply(9002);
    await app.receive("issue_comment", comment("/rightsize all", 9002));

    // The plan's order: checkout, frontend, api; the numbers given when they were opened.
    expect(reply.text?.split("\n").filter((line) => line.startsWith("- #")).map((line) => line.split(" ").slice(1, 3).join(" "))).toEqual([
      "#102 unchanged:",
      "#101 unchanged:",
      "#103 unchanged:",
    ]);
    expect(reply.text).not.toContain("opened");
    // It said "rightsize proposed 3 pull requests" of three it had left as they were.
    expect(reply.text?.split("\n")[0]).toBe("@alice rightsize changed nothing: 3 pull requests are up to date (unchanged):");
  });

  it("does nothing for a delivery it has already answered", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    expectInstallationToken();
    nock(API)
      .get(`${REPO}/collaborators/alice/permission`)
      .reply(200, { permission: "write", role_name: "write" })
      .get(`${REPO}/issues/5/comments`)
      .query({ per_page: "100" })
      .reply(200, [{ id: 1, body: "@alice rightsize proposed 3 pull requests: …\n\n<!-- rightsize:reply 9001 -->\n", user: BOT_USER }]);
    await app.receive("issue_comment", comment("/rightsize all"), "the-same-delivery");
  });
});

describe("who may steer", () => {
  it("refuses a reader politely and runs nothing, without a reaction first", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    expectInstallationToken();
    nock(API).get(`${REPO}/collaborators/alice/permission`).reply(200, { permission: "read", role_name: "read" });
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize all"));
    expect(reply.text).toBe(
      "@alice thanks for the request. Only people with write, maintain or admin access to this repository can run rightsize commands, so nothing was run; a maintainer can run it for you.\n\n<!-- rightsize:reply 9001 -->\n",
    );
  });

  it("obeys a maintainer (role_name maintain, permission write)", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    expectInstallationToken();
    nock(API)
      .get(`${REPO}/collaborators/alice/permission`)
      .reply(200, { permission: "write", role_name: "maintain" })
      .get(`${REPO}/issues/5/comments`)
      .query({ per_page: "100" })
      .reply(200, [])
      .post(`${REPO}/issues/comments/9001/reactions`)
      .reply(201, {});
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize help"));
    expect(reply.text).toMatch(/^@alice rightsize understands these commands\./);
  });

  it("ignores comments by bots, rightsize's own replies included", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    const payload = comment("/rightsize all");
    (payload as unknown as { sender: { type: string }; comment: { user: { type: string } } }).sender.type = "Bot";
    (payload as unknown as { comment: { user: { type: string } } }).comment.user.type = "Bot";
    await app.receive("issue_comment", payload);
  });

  it("ignores a command inside a code block or a quote", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    await app.receive("issue_comment", comment("To size everything, write:\n\n```\n/rightsize all\n```\n\n> /rightsize all\n"));
  });
});

describe("what the reply says", () => {
  it("answers an unknown command with the help text", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    expectInstallationToken();
    expectAcknowledged();
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize frobnicate"));
    expect(reply.text).toBe(`@alice rightsize did not understand \`/rightsize frobnicate\`: unknown command "frobnicate".\n\n${renderHelp()}\n\n<!-- rightsize:reply 9001 -->\n`);
  });

  it("answers two commands of one comment in one reply", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead();
    expectPolicyRead();
    expectMergedListing();
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize policy validate\nthanks!\n/rightsize all --dry-run"));
    const text = reply.text!;
    expect(text.split("\n").slice(0, 5)).toEqual([
      "@alice rightsize ran 2 commands:",
      "",
      "> `/rightsize policy validate`",
      "",
      "rightsize read `.github/rightsize.yml`: the policy is valid.",
    ]);
    expect(text).toContain("> `/rightsize all --dry-run`\n\nrightsize would propose this (dry run, nothing was opened; base `main` at ");
    expect(text).toContain("| `shop/Deployment/frontend` | `web` | 500m → **250m** (-50.0%) | 512Mi → **256Mi** (-50.0%) |");
  });

  it("says which setting to ask for when the policy names a cluster the operator does not serve", async () => {
    const app = await createTestApp({ clusters: { clusters: [{ name: "staging", snapshot: replayClusters(THREE).clusters[0]!.snapshot }] } });
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead();
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize all"));
    expect(reply.text).toBe(
      '@alice rightsize could not run: the policy names cluster "prod", which this rightsize installation does not observe (it observes "staging"); use one of those names in targets[].cluster, or ask the operator to add the cluster to the clusters file (RIGHTSIZE_CLUSTERS_FILE). Nothing was changed.\n\n<!-- rightsize:reply 9001 -->\n',
    );
  });

  it("does not call a policy valid that names a cluster the operator does not serve: the next /rightsize all would refuse it", async () => {
    const app = await createTestApp({ clusters: { clusters: [{ name: "staging", snapshot: replayClusters(THREE).clusters[0]!.snapshot }] } });
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead();
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize policy validate"));
    // Line 10 of the example policy is `    cluster: prod`. It answered "the policy is valid."
    expect(reply.text).toBe(
      [
        "@alice rightsize read `.github/rightsize.yml`: the file is valid, but this rightsize installation cannot run it: it names a cluster it does not observe (`prod`):",
        "",
        '- `.github/rightsize.yml:10:14 targets[0].cluster: cluster "prod" is not observed by this rightsize installation (it observes "staging"); use one of those names, or ask the operator to add the cluster to the clusters file (RIGHTSIZE_CLUSTERS_FILE)`',
        "",
        "<!-- rightsize:reply 9001 -->",
        "",
      ].join("\n"),
    );
  });

  it("says so when Prometheus cannot be reached, without its address, and makes nothing", async () => {
    const closed = await closedPort();
    const app = await createTestApp({ clusters: { clusters: [{ name: "prod", prometheus: { url: `http://127.0.0.1:${closed}`, tls: { insecureSkipVerify: false }, timeout: { text: "2s", seconds: 2 }, retries: 0, headers: {}, maxQueryLength: 16_384 } }] } });
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead();
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize all"));
    expect(reply.text).toMatch(/^@alice rightsize could not finish: .*the Prometheus of cluster "prod".*\. Nothing was changed; run the command again once that is resolved\.\n/);
    expect(reply.text).not.toContain("127.0.0.1");
    expect(git(repo.remote, "branch", "--list", "rightsize/*")).toBe("");
  });

  it("answers /rightsize doctor with the missing metrics of the repository's cluster, without the store's address", async () => {
    const store = await startLoopbackServer((request) => ({
      status: 200,
      body: JSON.stringify({ status: "success", data: request.url.pathname.endsWith("/values") ? ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes"] : { resultType: "vector", result: [] } }),
    }));
    try {
      const app = await createTestApp({ clusters: { clusters: [{ name: "prod", prometheus: { url: store.url, tls: { insecureSkipVerify: false }, timeout: { text: "2s", seconds: 2 }, retries: 0, headers: {}, maxQueryLength: 16_384 } }] } });
      expectInstallationToken();
      expectAcknowledged();
      expectPolicyRead();
      const reply = captureReply();
      await app.receive("issue_comment", comment("/rightsize doctor"));
      expect(reply.text).toContain("@alice rightsize checked the metrics of this repository's clusters: something essential is missing.\n\n### rightsize doctor\n");
      expect(reply.text).toContain("#### Cluster `prod`\n\n15 of 17 metrics missing; proposing cannot work without kube\\_pod\\_owner\n");
      expect(reply.text).toContain("| `kube_pod_owner` | kube-state-metrics | **missing** | pod owners |\n");
      expect(reply.text).toContain("<!-- rightsize:doctor -->");
      expect(reply.text).not.toContain("127.0.0.1");
    } finally {
      await store.stop();
    }
  });

  it("answers with a short notice only when the policy says mode: disabled", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead(POLICY.replace("mode: propose", "mode: disabled"));
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize all"));
    expect(reply.text).toBe(
      "@alice rightsize is disabled in this repository (`mode: disabled` in `.github/rightsize.yml`), so it did nothing. Set `mode: propose` (or `recommend` for reports only) to use it.\n\n<!-- rightsize:reply 9001 -->\n",
    );
  });

  it("reports without opening anything when the policy says mode: recommend", async () => {
    const app = await createTestApp({ clusters: replayClusters(THREE) });
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead(POLICY.replace("mode: propose", "mode: recommend"));
    expectMergedListing();
    const recommendOnly = POLICY.replace("mode: propose", "mode: recommend");
    git(repo.work, "checkout", "--quiet", "main");
    writeFileSync(path.join(repo.work, ".github/rightsize.yml"), recommendOnly);
    git(repo.work, "commit", "--quiet", "-am", "Reports only");
    git(repo.work, "push", "--quiet", "origin", "main");
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize all"));
    expect(reply.text).toMatch(/^@alice rightsize opened no pull request: the policy's mode is recommend: reports only, no proposals\. What it would propose:\n\n\| Cluster \| Workload \|/);
  });
});

describe("the cost of a proposal", () => {
  it("opens a new single-workload pull request, labels and reviewers included, in 8 GitHub API calls", async () => {
    const app = await createTestApp({ clusters: replayClusters(["frontend"]) });
    const created: CreatedPullRequest[] = [];
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead();
    expectMergedListing();
    const listing = nock(API).get(`${REPO}/pulls`).query({ state: "open", per_page: "100" }).reply(200, []);
    const proposal = expectNewProposal(BRANCHES[0]!, 101, created);
    captureReply();
    const calls: string[] = [];
    for (const scope of [listing, proposal]) scope.on("request", (request: { method: string; path: string }) => calls.push(`${request.method} ${request.path.split("?")[0]}`));
    await app.receive("issue_comment", comment("/rightsize all"));
    console.log(`GitHub API calls to publish one new proposal: ${calls.length}\n  ${calls.join("\n  ")}`);
    expect(calls).toEqual([
      "GET /repos/acme/shop-config/pulls",
      "GET /repos/acme/shop-config/pulls",
      "POST /repos/acme/shop-config/git/trees",
      "POST /repos/acme/shop-config/git/commits",
      "POST /repos/acme/shop-config/git/refs",
      "POST /repos/acme/shop-config/pulls",
      "POST /repos/acme/shop-config/issues/101/labels",
      "POST /repos/acme/shop-config/pulls/101/requested_reviewers",
    ]);
  });
});

describe("GitHub Enterprise Server", () => {
  it("talks to the API base Probot is given and fetches from the clone URL the event names", async () => {
    const GHE = "https://ghe.example.com/api/v3";
    const app = await createTestApp({ clusters: replayClusters(["frontend"]), baseUrl: GHE });
    expectInstallationToken(GHE);
    const replies: string[] = [];
    nock(GHE)
      .get(`${REPO}/issues/5/comments`)
      .query({ per_page: "100" })
      .reply(200, [])
      .post(`${REPO}/issues/comments/9001/reactions`)
      .reply(201, {})
      .get(`${REPO}/collaborators/alice/permission`)
      .reply(200, { permission: "admin", role_name: "admin" })
      .get(`${REPO}/contents/.github%2Frightsize.yml`)
      .reply(200, POLICY, { "content-type": "application/vnd.github.raw; charset=utf-8" })
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
      .post(`${REPO}/git/commits`)
      .reply(201, { sha: "commit" })
      .post(`${REPO}/git/refs`)
      .reply(201, {})
      .post(`${REPO}/pulls`)
      .reply(201, { number: 7, html_url: "https://ghe.example.com/acme/shop-config/pull/7", head: { sha: "commit" } })
      .post(`${REPO}/issues/7/labels`)
      .reply(200, [])
      .post(`${REPO}/pulls/7/requested_reviewers`)
      .reply(201, {})
      .post(`${REPO}/issues/5/comments`, (body) => replies.push(body.body) > 0)
      .reply(201, {});
    await app.receive("issue_comment", comment("/rightsize deployment/frontend"));
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/^@alice rightsize proposed 1 pull request:\n- #7 opened: rightsize\(shop\/frontend\)/);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe("/rightsize policy migrate", () => {
  it("opens a pull request with the migrated file, comments kept", async () => {
    const legacy = readFileSync(path.join(ROOT, "test/fixtures/policy/legacy-team.yml"), "utf8");
    const migrated = readFileSync(path.join(ROOT, "test/fixtures/policy/legacy-team.migrated.yml"), "utf8");
    const app = await createTestApp();
    let tree: { path: string; content: string }[] = [];
    let title = "";
    let description = "";
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead(legacy);
    nock(API)
      .get(`${REPO}/pulls`)
      .query({ state: "open", per_page: "100" })
      .reply(200, [])
      .get(`${REPO}/pulls`)
      .query({ state: "closed", head: "acme:rightsize/policy-migrate", sort: "updated", direction: "desc", per_page: "30" })
      .reply(200, [])
      .post(`${REPO}/git/trees`, (body) => ((tree = body.tree), true))
      .reply(201, { sha: "tree" })
      .post(`${REPO}/git/commits`, (body) => /\nRightsize-Decision: [0-9a-f]{64}$/.test(body.message))
      .reply(201, { sha: "commit" })
      .post(`${REPO}/git/refs`, { ref: "refs/heads/rightsize/policy-migrate", sha: "commit" })
      .reply(201, {})
      .post(`${REPO}/pulls`, (body) => ((title = body.title), (description = body.body), body.head === "rightsize/policy-migrate"))
      .reply(201, { number: 60, html_url: "https://github.com/acme/shop-config/pull/60", head: { sha: "commit" } })
      .post(`${REPO}/issues/60/labels`, { labels: ["rightsize"] })
      .reply(200, []);
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize policy migrate"));
    expect(tree).toEqual([{ path: ".github/rightsize.yml", mode: "100644", type: "blob", content: migrated }]);
    expect(title).toBe("rightsize: migrate .github/rightsize.yml to rightsize.dev/v1alpha2");
    // The notes say what keeps the safety factor's effect, not that the settings are the same.
    expect(description).toContain(
      "- recommend.safetyFactor f became recommend.margins {SAFE: f, CAUTION: max(f, 1.3), RISKY: max(f, 1.5)}\n- recommend.cpu.margin: rating, so CPU requests keep using the safety factor as margin",
    );
    expect(reply.text).toBe("@alice rightsize opened #60: rightsize: migrate .github/rightsize.yml to rightsize.dev/v1alpha2.\n\n<!-- rightsize:reply 9001 -->\n");
  });

  it("says there is nothing to migrate for a current policy", async () => {
    const app = await createTestApp();
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead();
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize policy migrate"));
    expect(reply.text).toBe("@alice rightsize found `.github/rightsize.yml` already at the current apiVersion; nothing to migrate.\n\n<!-- rightsize:reply 9001 -->\n");
  });
});

describe("a failure on one proposal", () => {
  it("leaves the other proposals standing and says what failed and what happens next", async () => {
    const app = await createTestApp({ clusters: replayClusters(["frontend", "checkout"]) });
    const created: CreatedPullRequest[] = [];
    expectInstallationToken();
    expectAcknowledged();
    expectPolicyRead();
    expectMergedListing();
    nock(API).get(`${REPO}/pulls`).query({ state: "open", per_page: "100" }).reply(200, []);
    nock(API)
      .get(`${REPO}/pulls`)
      .query({ state: "closed", head: `acme:${BRANCHES[1]}`, sort: "updated", direction: "desc", per_page: "30" })
      .reply(200, [])
      .post(`${REPO}/git/trees`, (body) => body.tree.some((entry: { path: string }) => entry.path === "apps/checkout/checkout.yaml"))
      .reply(503, { message: "Service Unavailable" });
    expectNewProposal(BRANCHES[0]!, 101, created);
    const reply = captureReply();
    await app.receive("issue_comment", comment("/rightsize all"));
    expect(reply.text).toBe(
      [
        "@alice rightsize proposed 1 pull request:",
        `- #101 opened: ${created[0]!.title}`,
        "",
        "Not proposed:",
        "- `shop/Deployment/checkout` — failed: GitHub: could not create the tree in acme/shop-config (HTTP 503): Service Unavailable. Nothing was left half-made; the next scan or `/rightsize refresh` tries again.",
        "",
        "<!-- rightsize:reply 9001 -->",
        "",
      ].join("\n"),
    );
  });
});
