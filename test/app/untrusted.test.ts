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

describe("a pull request from a fork that changes the policy", () => {
  const POLICY = readFileSync(path.join(ROOT, "examples/config-repo/.github/rightsize.yml"), "utf8");

  function checkRun(): { conclusion?: string; output?: { title: string; summary: string; annotations?: { message: string }[] } } {
    expect(github.checkRuns).toHaveLength(1);
    return github.checkRuns[0] as never;
  }

  it("may extend only this repository and its owner's .github: another repository is refused without being read (its keys were listed)", async () => {
    github.otherFiles.set("acme/payments-config:.github/rightsize.yml", "secretKey: 1\nanotherSecret: 2\n");
    const before = github.requests.length;
    await app.receive("pull_request", github.openFromFork({ ".github/rightsize.yml": `_extends: payments-config\n${POLICY}` }));
    const check = checkRun();
    expect(check.conclusion).toBe("failure");
    expect(check.output!.summary).toContain(
      '_extends: "payments-config" names another repository; a policy may extend a file of this repository (shop-config:path/to/file.yml) or the organisation\'s defaults (acme/.github)',
    );
    expect(check.output!.summary).not.toContain("secretKey");
    expect(github.requests.slice(before).filter((request) => request.includes("payments-config"))).toEqual([]);
  });

  it("says that a missing file of another repository and an existing one are both out of reach, alike", async () => {
    await app.receive("pull_request", github.openFromFork({ ".github/rightsize.yml": `_extends: acme/no-such-repo:x.yml\n${POLICY}` }));
    expect(checkRun().output!.summary).toContain('_extends: "acme/no-such-repo:x.yml" names another repository');
  });

  it("never quotes the keys or lines of the organisation's defaults when they have problems", async () => {
    github.otherFiles.set("acme/.github:.github/rightsize.yml", "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\ninternalBudgetCode: 4711\n");
    await app.receive("pull_request", github.openFromFork({ ".github/rightsize.yml": `_extends: .github\n${POLICY}` }));
    const summary = checkRun().output!.summary;
    expect(summary).toContain("the base policy acme/.github:.github/rightsize.yml has a problem; its maintainers see it with `/rightsize policy validate` in that repository");
    expect(summary).not.toContain("internalBudgetCode");
  });

  it("gets no preview, so a cluster the repository never maps is never observed for it (a preview showed live recommendations)", async () => {
    const before = github.requests.length;
    await app.receive("pull_request", github.openFromFork({ ".github/rightsize.yml": POLICY.replace("cluster: prod", "cluster: payments") }));
    const check = checkRun();
    expect(check.conclusion).toBe("success");
    expect(check.output!.summary).toContain("No preview for a pull request from a fork: rightsize observes clusters only for changes made in this repository.");
    expect(check.output!.summary).not.toContain("would newly propose");
    // No clone for a preview either.
    expect(github.requests.slice(before).filter((request) => request.endsWith("/git-upload-pack"))).toEqual([]);
    // It said "while the policy on the default branch is invalid" for a fork's valid policy too.
    expect(check.output!.summary.split("\n")[0]).toBe("rightsize can read this policy.");
  });

  it("reports a policy over 256 KiB as a failed check with the reason (the job failed after its retries)", async () => {
    await app.receive("pull_request", github.openFromFork({ ".github/rightsize.yml": `${POLICY}\n${"# padding\n".repeat(30_000)}` }));
    const check = checkRun();
    expect(check.conclusion).toBe("failure");
    expect(check.output!.annotations).toEqual([
      expect.objectContaining({ message: "acme/shop-config:.github/rightsize.yml is larger than 256 KiB; a policy file is a few lines of YAML" }),
    ]);
  });
});
