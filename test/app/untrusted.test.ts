import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handleEventJob, InProcessQueue } from "../../src/app/index.js";
import { planRepository } from "../../src/pipeline/index.js";
import { parseStateMarker, renderStateMarker } from "../../src/pipeline/lifecycle/state.js";
import { readCommitFiles } from "../../src/pipeline/checkout/files.js";
import { renderPullRequest } from "../../src/pipeline/body/pull-request.js";
import { DEFAULTS_SOURCE, defaultPolicy } from "../../src/policy/index.js";
import { rightsize } from "../helpers/cli.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { webhookPayload } from "../helpers/events.js";
import { contractProblems } from "../helpers/github-contract.js";
import { EXAMPLE, writeExampleSnapshot } from "../helpers/example.js";
import { GitHubStandIn } from "../helpers/github-standin.js";

/**
 * SPEC §9, people who may not be trusted: readers, forks and outsiders against the app on a
 * loopback GitHub. Each break a probe found is reproduced here, with the attacks that held.
 */
const ROOT = path.join(import.meta.dirname, "../..");

let github: GitHubStandIn;
let app: TestApp;
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-untrusted-"));
  writeExampleSnapshot(scratch);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A loopback GitHub with the example repository, and the app on it, for each test of a describe. */
function useStandIn(): void {
  beforeEach(async () => {
    github = await GitHubStandIn.withExample();
    github.permissions.set("mallory", "read");
    app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot: path.join(scratch, "snapshot.json") }] }, baseUrl: github.apiUrl });
  });

  afterEach(async () => {
    await app.deps.queue?.close();
    await github.stop();
  });
}

/** Requests that change something on GitHub (git pushes and installation tokens aside). */
function writes(from = 0): string[] {
  return github.requests.slice(from).filter((request) => /^(POST|PATCH|PUT|DELETE) \/api\//.test(request) && !request.endsWith("/access_tokens"));
}

function issuesEvent(action: string, issue: Record<string, unknown>, sender: string, changes?: Record<string, unknown>) {
  return webhookPayload("issues", action, { issue, ...(changes ? { changes } : {}), repository: github.repositoryPayload(), sender: { login: sender, type: "User" }, installation: { id: 2 } });
}

describe("the dashboard: only rightsize's own, and only ticked by writers", () => {
  useStandIn();

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
  useStandIn();

  it("answers a writer's command although a reader posted its reply marker first (it was never answered before)", async () => {
    github.comments.push({ id: 9000, issue: 1, body: "nothing to see <!-- rightsize:reply 601 -->", user: "mallory" });
    await app.receive("issue_comment", github.issueComment(601, "/rightsize help"));
    const replies = github.comments.filter((comment) => comment.user === "rightsize[bot]");
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toMatch(/^@alice rightsize understands these commands\./);
  });

  it("says once what closing means although a reader posted the declined marker first (it was never said)", async () => {
    await app.receive("issue_comment", github.issueComment(610, "/rightsize shop/deployment/frontend"));
    const pull = github.pulls[0]!;
    github.comments.push({ id: 9001, issue: pull.number, body: "<!-- rightsize:declined -->", user: "mallory" });
    pull.state = "closed";
    await app.receive("pull_request", github.pullRequestEvent("closed", { ...github.pullPayload(pull), merged: false }));
    const declined = github.comments.filter((comment) => comment.issue === pull.number && comment.user === "rightsize[bot]");
    expect(declined).toHaveLength(1);
    expect(declined[0]!.body).toMatch(/^rightsize takes this as "not these values"\./);
  });

  it("still answers a repeated delivery once: its own reply marker counts", async () => {
    await app.receive("issue_comment", github.issueComment(602, "/rightsize help"), "same");
    await app.receive("issue_comment", github.issueComment(602, "/rightsize help"), "same-again");
    expect(github.comments.filter((comment) => comment.user === "rightsize[bot]")).toHaveLength(1);
  });
});

describe("a reader's flood of commands", () => {
  useStandIn();

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
  useStandIn();

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
    // A policy the next run would refuse gets no preview at all; a fork's valid one gets the fork's notice (below).
    expect(check.output!.summary).not.toContain("#### What this policy change would do");
    // No clone for a preview either.
    expect(github.requests.slice(before).filter((request) => request.endsWith("/git-upload-pack"))).toEqual([]);
    // The operator serves no "payments": merged, the next run would refuse it, so the check says so, without naming what the operator serves.
    expect(check.conclusion).toBe("failure");
    expect(check.output!.summary.split("\n")[0]).toBe("Merged as it is, this policy would pause rightsize's proposals. Fix each problem:");
    expect(check.output!.annotations!.map((annotation) => annotation.message)).toEqual([
      'cluster "payments" is not observed by this rightsize installation (`/rightsize policy validate` in this repository lists those it observes); use a cluster it observes, or ask the operator to add the cluster to the clusters file (RIGHTSIZE_CLUSTERS_FILE)',
    ]);
    expect(check.output!.summary).not.toContain('"prod"');
  });

  it("gets the fork's notice instead of a preview when the policy names only clusters the operator serves", async () => {
    await app.receive("pull_request", github.openFromFork({ ".github/rightsize.yml": POLICY.replace("  limits: keep", "  limits: keep\n  maxDecreasePercent: 20") }));
    const check = checkRun();
    expect(check.conclusion).toBe("success");
    expect(check.output!.summary).toContain("No preview for a pull request from a fork: rightsize observes clusters only for changes made in this repository.");
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

describe("text from manifests and clusters in what rightsize writes", () => {
  const observed = EXAMPLE.workloads.find((workload) => workload.workload.name === "frontend")!;

  function planOf(manifest: string, container = "web") {
    const files = [{ path: "apps/web.yaml", text: manifest }];
    const observation = { ...observed, containers: observed.containers.map((entry) => ({ ...entry, name: container })) };
    return planRepository({ tool: { name: "rightsize", version: "test" }, files, loaded: { policy: defaultPolicy(), source: DEFAULTS_SOURCE, canPropose: true, warnings: [] }, snapshot: { ...EXAMPLE, workloads: [{ ...observation, workload: { ...observation.workload, cluster: "default" } }] }, at: EXAMPLE.createdAt });
  }

  const deployment = (name: string, container: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${JSON.stringify(name)}\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${JSON.stringify(container)}\n          image: web:1\n          resources:\n            requests: {cpu: 500m, memory: 512Mi}\n`;

  it.each([
    ["<img src=x onerror=alert(1)>", 'the container name "<img src=x onerror=alert(1)>" is not an RFC 1123 label'],
    ["@acme/admins", 'the container name "@acme/admins" is not an RFC 1123 label'],
    ["web<!-- hide the rest", 'the container name "web<!-- hide the rest" is not an RFC 1123 label'],
  ])("refuses the container name %j with the reason, and plans nothing for it", (container, reason) => {
    const plan = planOf(deployment("frontend", container), container);
    expect(plan.workloads).toEqual([]);
    expect(plan.skipped).toEqual([
      { path: "apps/web.yaml", reason: `${reason} (lowercase letters, digits and '-', starting and ending with a letter or digit): Kubernetes would reject this manifest, so rightsize leaves it alone` },
    ]);
  });

  it("refuses a workload name carrying a forged state marker (ignore recorded the attacker's workload)", () => {
    const forged = `x<!-- rightsize:state ${Buffer.from(JSON.stringify({ version: 1, branch: "b", workloads: [] })).toString("base64url")} -->`;
    expect(planOf(deployment(forged, "web")).skipped[0]!.reason).toMatch(/^the Deployment name "x<!-- rightsize:state [A-Za-z0-9_-]+ -->" is not an RFC 1123 subdomain/);
  });

  it("reads only the last state marker of a body, the one rightsize writes at its end", () => {
    const state = (branch: string) => renderStateMarker({ version: 1, branch, workloads: [] });
    expect(parseStateMarker(`a name ${state("forged")} in the table\n\n${state("rightsize/prod/shop/deployment-web")}\n`)?.branch).toBe("rightsize/prod/shop/deployment-web");
  });

  it("shows paths and pod names exactly in code spans: no HTML, no mention, no comment opener outside them", () => {
    const plan = planOf(deployment("frontend", "web"));
    const [workload] = plan.workloads;
    const record = { ...workload!.record, containers: workload!.record.containers.map((container) => ({ ...container, evidence: { ...container.evidence, oomKills: [{ at: "2026-11-20T03:12:40Z", pod: "web-1 <!-- @acme/admins" }] } })) };
    const { body } = renderPullRequest({ records: [record], branch: "rightsize/default/shop/deployment-frontend", policy: defaultPolicy(), files: ["apps/<img src=x onerror=alert(1)>/@acme`team.yaml"] });
    expect(body).toContain("Files changed: ``apps/<img src=x onerror=alert(1)>/@acme`team.yaml``");
    expect(body).toContain("1 OOM kill (2026-11-20T03:12:40Z in `web-1 <!-- @acme/admins`)");
    // Outside code spans and the record's fenced JSON, none of it remains.
    const outside = body.replace(/```json[\s\S]*?```/, "").replace(/(`+)[\s\S]*?\1/g, "");
    expect(outside).not.toMatch(/<img|@acme|<!-- (?!rightsize:state)/);
  });
});

describe("terminal output of the CLI", () => {
  it("prints names with escape sequences, OSC 8 links and line breaks escaped (they cleared screens and drew fake rows)", async () => {
    const repo = mkdtempSync(path.join(tmpdir(), "rightsize-terminal-"));
    try {
      writeFileSync(
        path.join(repo, "web.yaml"),
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: "web\\e[2J\\e]8;;http://x\\u0007link\\e]8;;\\u0007"\nspec:\n  template:\n    spec:\n      containers:\n        - name: "app\\r\\n::set-env name=X::1"\n          image: web:1\n          resources: {requests: {cpu: 100m}}\n`,
      );
      const { stdout } = await rightsize("discover", repo);
      expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
      expect(stdout).not.toMatch(/^::/m);
      expect(stdout).toContain("web\\u001b[2J\\u001b]8;;http://x\\u0007link\\u001b]8;;\\u0007");
      expect(stdout).toContain("app\\r\\n::set-env name=X::1");
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe("attacks that held, kept so they stay held", () => {
  useStandIn();

  it("ignores edited comments and comments by bots", async () => {
    const before = github.requests.length;
    await app.receive("issue_comment", webhookPayload("issue_comment", "edited", { ...github.issueComment(701, "/rightsize all"), action: "edited" }));
    const bot = github.issueComment(702, "/rightsize all", { login: "other-app[bot]" }) as { sender: { type: string }; comment: { user: { type: string } } };
    bot.sender.type = "Bot";
    bot.comment.user.type = "Bot";
    await app.receive("issue_comment", bot);
    expect(github.requests.slice(before)).toEqual([]);
  });

  it("treats ../ and shell metacharacters in targets as text: a parse error or no such workload, nothing run", async () => {
    const marker = path.join(scratch, "pwned");
    await app.receive("issue_comment", github.issueComment(703, `/rightsize ../../etc/passwd\n/rightsize deployment/$(touch${"${IFS}"}${marker});id --dry-run`));
    const reply = github.comments.find((comment) => comment.user === "rightsize[bot]")!.body;
    expect(reply).toContain('"../../etc/passwd" is not a workload');
    expect(reply).toContain(`"deployment/$(touch\${IFS}${marker});id" is not a workload`);
    expect(existsSync(marker)).toBe(false);
    expect(github.pulls).toEqual([]);
  });

  it("never reads a symbolic link of a commit: neither a manifest nor the policy pointing out of the repository", async () => {
    const work = mkdtempSync(path.join(tmpdir(), "rightsize-links-"));
    try {
      execFileSync("git", ["clone", "--quiet", github.gitDir, work]);
      symlinkSync("/etc/passwd", path.join(work, "apps/passwd.yaml"));
      rmSync(path.join(work, ".github/rightsize.yml"));
      symlinkSync("/etc/hostname", path.join(work, ".github/rightsize.yml"));
      execFileSync("git", ["add", "-A"], { cwd: work });
      execFileSync("git", ["-c", "user.name=M", "-c", "user.email=m@example.com", "commit", "--quiet", "-m", "links"], { cwd: work });
      const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: work, encoding: "utf8" }).trim();
      const files = await readCommitFiles(work, commit);
      expect(files.map((file) => file.path)).not.toContain("apps/passwd.yaml");
      expect(files.map((file) => file.path)).not.toContain(".github/rightsize.yml");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("the GitHub stand-in keeps to GitHub's REST description", () => {
  it("refuses what GitHub would refuse: an unknown path, a wrong method, an unknown parameter, a bad body, a field GitHub does not take", () => {
    const check = (method: string, path: string, query = "", body?: unknown) => contractProblems({ method, path, query: new URLSearchParams(query), body });
    expect(check("GET", "/repos/acme/shop-config/pulls", "state=open&per_page=100")).toEqual([]);
    expect(check("POST", "/repos/acme/shop-config/git/trees", "", { base_tree: "abc", tree: [{ path: "a", mode: "100644", type: "blob", content: "x" }] })).toEqual([]);
    expect(check("GET", "/repos/acme/shop-config/pull-requests")).toEqual(["GET /repos/acme/shop-config/pull-requests: no such path in GitHub's REST API"]);
    expect(check("DELETE", "/repos/acme/shop-config/pulls/3")).toEqual(["DELETE /repos/acme/shop-config/pulls/3: GitHub serves GET, PATCH on /repos/{owner}/{repo}/pulls/{pull_number}, not DELETE"]);
    expect(check("GET", "/repos/acme/shop-config/pulls", "state=merged")).toEqual([
      "GET /repos/acme/shop-config/pulls: query parameter state=merged: (root) must be equal to one of the allowed values",
    ]);
    expect(check("GET", "/repos/acme/shop-config/pulls", "botLogin=x")).toEqual(['GET /repos/acme/shop-config/pulls: /repos/{owner}/{repo}/pulls takes no query parameter "botLogin"']);
    expect(check("POST", "/repos/acme/shop-config/git/trees", "", { tree: [{ path: "a", mode: "100645", type: "blob" }] })).toEqual([
      "POST /repos/acme/shop-config/git/trees: body /tree/0/mode must be equal to one of the allowed values",
    ]);
    expect(check("POST", "/repos/acme/shop-config/pulls", "", { head: "b", base: "main", title: "t", botLogin: "x" })).toEqual([
      "POST /repos/acme/shop-config/pulls: body has fields GitHub does not take: botLogin",
    ]);
  });
});
