import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { webhookPayload } from "./events.js";
import { contractProblems } from "./github-contract.js";
import { ProcessRunner } from "./process-runner.js";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A loopback stand-in for GitHub, for end-to-end tests and benches: the REST endpoints rightsize
 * uses (under /api/v3, as GitHub Enterprise Server serves them) and git over HTTP from local bare
 * repositories (`git http-backend`). Git Data API calls write real objects and refs, so a branch
 * it "creates" can be diffed with git. It keeps issues, pull requests, comments and check runs in
 * memory, and records every request.
 */
export interface PullRequestRecord {
  number: number;
  state: "open" | "closed";
  title: string;
  body: string;
  head: string;
  base: string;
  merged_at: string | null;
  labels: string[];
  reviewers: string[];
  draft: boolean;
  /** Who opened it (the app's token writes as `rightsize[bot]`). */
  user: string;
  /** A pull request from a fork: the fork's name and the head commit (kept under refs/pull/N/head, as GitHub does). */
  fork?: { fullName: string; sha: string };
}

export interface IssueRecord {
  number: number;
  state: "open" | "closed";
  title: string;
  body: string;
  labels: string[];
  user: string;
}

export interface CommentRecord {
  id: number;
  issue: number;
  body: string;
  user: string;
}

export class GitHubStandIn {
  readonly root: string;
  readonly requests: string[] = [];
  /** Of those, the GETs answered 304 Not Modified (free of the rate limit on GitHub). */
  notModified = 0;
  /** Requests GitHub's REST description does not allow; `stop()` fails when there are any. */
  readonly violations: string[] = [];
  readonly pulls: PullRequestRecord[] = [];
  readonly issues: IssueRecord[] = [];
  readonly comments: CommentRecord[] = [];
  readonly reactions: { comment: number; content: string }[] = [];
  readonly checkRuns: { id: number; head_sha: string; name: string; conclusion?: string; output?: unknown }[] = [];
  /** username → permission, for `repos.getCollaboratorPermissionLevel`. */
  readonly permissions = new Map<string, string>();
  /** Files of other repositories the installation can read: `owner/repo:path` → text. */
  readonly otherFiles = new Map<string, string>();
  private server: Server | undefined;
  private next = 1;
  port = 0;

  constructor(
    readonly owner = "acme",
    readonly repo = "shop-config",
    /**
     * Git runs in a small process: a fork from this one (the app and Probot loaded) costs ten
     * times as much. Many stand-ins (the organisation bench) can share one.
     */
    private readonly runner = new ProcessRunner(),
  ) {
    this.root = mkdtempSync(path.join(tmpdir(), "rightsize-github-"));
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/v3`;
  }

  get cloneUrl(): string {
    return `http://127.0.0.1:${this.port}/${this.owner}/${this.repo}.git`;
  }

  /** The bare repository behind the clone URL. */
  get gitDir(): string {
    return path.join(this.root, this.owner, `${this.repo}.git`);
  }

  /** A started stand-in serving `acme/shop-config` with the bundled example config repo on `main`. */
  static async withExample(): Promise<GitHubStandIn> {
    const github = new GitHubStandIn();
    const work = path.join(github.root, "example-work");
    cpSync(path.join(import.meta.dirname, "../../examples/config-repo"), work, { recursive: true });
    git(github.root, "init", "--quiet", "--initial-branch=main", work);
    git(work, "add", ".");
    git(work, "-c", "user.name=Example", "-c", "user.email=example@example.com", "commit", "--quiet", "-m", "Example shop config repo");
    github.seed(work);
    await github.start();
    return github;
  }

  /** Seeds the repository from a working tree (committed on `main`). */
  seed(workTree: string): void {
    mkdirSync(path.dirname(this.gitDir), { recursive: true });
    git(this.root, "init", "--quiet", "--bare", "--initial-branch=main", this.gitDir);
    git(this.gitDir, "config", "http.receivepack", "true");
    git(workTree, "push", "--quiet", this.gitDir, "HEAD:refs/heads/main");
  }

  git(...args: string[]): string {
    return git(this.gitDir, ...args);
  }

  /** A git command in the bare repository, run by the small process (a shell script with `sh -c`). */
  runGit(args: readonly string[], options: { env?: NodeJS.ProcessEnv; file?: string } = {}): Promise<string> {
    return this.runner.text(options.file ?? "git", args, { cwd: this.gitDir, ...(options.env ? { env: options.env } : {}) });
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ message: String(error) }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
    this.runner.stop();
    rmSync(this.root, { recursive: true, force: true });
    if (this.violations.length > 0) throw new Error(`requests GitHub's REST description does not allow:\n${this.violations.join("\n")}`);
  }

  /** An `issue_comment.created` payload: `body` written by alice (a writer, unless `permissions` says otherwise) in issue #1 of this repository. */
  issueComment(id: number, body: string, options: { login?: string; issue?: number } = {}): Record<string, unknown> {
    const login = options.login ?? "alice";
    return webhookPayload("issue_comment", "created", {
      issue: { number: options.issue ?? 1, title: "Right-size the shop", state: "open", user: { login, type: "User" } },
      comment: { id, body, user: { login, type: "User" } },
      repository: this.repositoryPayload(),
      sender: { login, type: "User" },
      installation: { id: 2 },
    });
  }

  /** A `pull_request` event for one of the stand-in's pull requests (GitHub's example payload with its fields). */
  pullRequestEvent(action: string, pull: Record<string, unknown>, sender = "alice", extra: Record<string, unknown> = {}): Record<string, unknown> {
    return webhookPayload("pull_request", action, { number: pull.number, pull_request: pull, repository: this.repositoryPayload(), sender: { login: sender, type: sender.endsWith("[bot]") ? "Bot" : "User" }, installation: { id: 2 }, ...extra });
  }

  /** A `push` event of `after` to `ref` by `sender`. */
  pushEvent(ref: string, after: string, sender = "alice", commits: unknown[] = []): Record<string, unknown> {
    return webhookPayload("push", undefined, { ref, before: "0".repeat(40), after, deleted: false, commits, repository: this.repositoryPayload(), sender: { login: sender, type: "User" }, installation: { id: 2 } });
  }

  /**
   * Bob (a person) commits a note to `branch` in a clone at `work` and pushes it, as someone who
   * takes a proposal over does; returns his commit, for the push event.
   */
  pushAsPerson(branch: string, work: string, message: string): string {
    execFileSync("git", ["clone", "--quiet", "--branch", branch, this.gitDir, work]);
    writeFileSync(path.join(work, "NOTES.md"), "tuned by hand\n");
    execFileSync("git", ["add", "."], { cwd: work });
    execFileSync("git", ["-c", "user.name=Bob", "-c", "user.email=bob@example.com", "commit", "--quiet", "-m", message], { cwd: work });
    execFileSync("git", ["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`], { cwd: work });
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: work, encoding: "utf8" }).trim();
  }

  /** The repository as a webhook payload names it. */
  repositoryPayload(): Record<string, unknown> {
    return {
      id: 42,
      name: this.repo,
      full_name: `${this.owner}/${this.repo}`,
      owner: { login: this.owner, type: "Organization" },
      default_branch: "main",
      clone_url: this.cloneUrl,
      html_url: `http://127.0.0.1:${this.port}/${this.owner}/${this.repo}`,
    };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    const body = await readBody(request);
    this.requests.push(`${request.method} ${url.pathname}`);
    if (!url.pathname.startsWith("/api/v3/")) return this.serveGit(request, response, url, body);
    const route = `${request.method} ${decodeURIComponent(url.pathname.slice("/api/v3".length))}`;
    const json = body.length > 0 ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {};
    const problems = contractProblems({ method: request.method ?? "GET", path: url.pathname.slice("/api/v3".length), query: url.searchParams, body: body.length > 0 ? json : undefined });
    if (problems.length > 0) {
      this.violations.push(...problems);
      response.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ message: `not in GitHub's REST description: ${problems.join("; ")}` }));
      return;
    }
    const reply = (status: number, data?: unknown) => {
      const text = data === undefined ? "" : JSON.stringify(data);
      if (request.method === "GET" && status === 200) return this.answer(request, response, "application/json; charset=utf-8", text);
      response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(text);
    };
    const repoPrefix = `/repos/${this.owner}/${this.repo}`;
    const match = (pattern: string) => new RegExp(`^${pattern.replace("{repo}", repoPrefix)}$`).exec(route);
    let m: RegExpExecArray | null;

    if ((m = match("POST /app/installations/(\\d+)/access_tokens"))) return reply(201, { token: `ghs_standin_${m[1]}`, expires_at: "2099-01-01T00:00:00Z", permissions: {} });
    if (match("GET /app/installations")) return reply(200, [{ id: 2, account: { login: this.owner } }]);
    if (match("GET /app")) return reply(200, { id: 1, slug: APP_LOGIN.replace(/\[bot\]$/, ""), name: "rightsize" });
    if (match("GET /installation/repositories")) return reply(200, { total_count: 1, repositories: [this.repositoryPayload()] });
    if (match("GET {repo}")) return reply(200, this.repositoryPayload());
    if ((m = /^GET \/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/.exec(route)) && `${m[1]}/${m[2]}` !== `${this.owner}/${this.repo}`) {
      const text = this.otherFiles.get(`${m[1]}/${m[2]}:${m[3]}`);
      if (text === undefined) return reply(404, { message: "Not Found" });
      return this.answer(request, response, "application/vnd.github.raw; charset=utf-8", text);
    }
    if ((m = match("GET {repo}/contents/(.+)"))) {
      const text = await this.tryGit("show", `${url.searchParams.get("ref") ?? "main"}:${m[1]}`);
      if (text === undefined) return reply(404, { message: "Not Found" });
      return this.answer(request, response, "application/vnd.github.raw; charset=utf-8", text);
    }
    if ((m = match("GET {repo}/collaborators/([^/]+)/permission"))) {
      const permission = this.permissions.get(m[1]!) ?? "write";
      return reply(200, { permission: permission === "maintain" ? "write" : permission, role_name: permission });
    }
    if ((m = match("GET {repo}/issues/(\\d+)/comments"))) return reply(200, this.comments.filter((comment) => comment.issue === Number(m![1])).map((comment) => ({ id: comment.id, body: comment.body, user: userOf(comment.user) })));
    if ((m = match("POST {repo}/issues/(\\d+)/comments"))) {
      const comment = { id: this.next++, issue: Number(m[1]), body: String(json.body), user: APP_LOGIN };
      this.comments.push(comment);
      return reply(201, { id: comment.id, body: comment.body });
    }
    if ((m = match("POST {repo}/issues/comments/(\\d+)/reactions"))) {
      this.reactions.push({ comment: Number(m[1]), content: String(json.content) });
      return reply(201, { id: this.next++, content: json.content });
    }
    if ((m = match("POST {repo}/issues/(\\d+)/labels"))) {
      const pull = this.pulls.find((candidate) => candidate.number === Number(m![1]));
      if (pull) pull.labels = [...new Set([...pull.labels, ...(json.labels as string[])])];
      return reply(200, (json.labels as string[]).map((name) => ({ name })));
    }
    if (match("GET {repo}/issues")) {
      const label = url.searchParams.get("labels");
      return reply(200, this.issues.filter((issue) => issue.state === (url.searchParams.get("state") ?? "open") && (!label || issue.labels.includes(label))).map((issue) => ({ ...issue, user: userOf(issue.user) })));
    }
    if (match("POST {repo}/issues")) {
      const issue: IssueRecord = { number: this.next++, state: "open", title: String(json.title), body: String(json.body), labels: (json.labels as string[]) ?? [], user: APP_LOGIN };
      this.issues.push(issue);
      return reply(201, { ...issue, user: userOf(issue.user) });
    }
    if ((m = match("PATCH {repo}/issues/(\\d+)"))) {
      const issue = this.issues.find((candidate) => candidate.number === Number(m![1]));
      if (!issue) return reply(404, { message: "Not Found" });
      Object.assign(issue, pick(json, ["title", "body", "state"]));
      return reply(200, { ...issue, user: userOf(issue.user) });
    }
    if (match("GET {repo}/pulls")) {
      const state = url.searchParams.get("state") ?? "open";
      const head = url.searchParams.get("head")?.split(":")[1];
      const pulls = this.pulls.filter((pull) => (state === "all" || pull.state === state) && (!head || pull.head === head)).sort((a, b) => b.number - a.number);
      const tips = this.branchTips();
      return reply(200, pulls.map((pull) => this.pullPayload(pull, tips)));
    }
    if (match("POST {repo}/pulls")) {
      if (this.readRef(`refs/heads/${json.head}`) === undefined) return reply(422, { message: `No commits between main and ${json.head}` });
      const pull: PullRequestRecord = { number: this.next++, state: "open", title: String(json.title), body: String(json.body), head: String(json.head), base: String(json.base), merged_at: null, labels: [], reviewers: [], draft: Boolean(json.draft), user: APP_LOGIN };
      this.pulls.push(pull);
      return reply(201, this.pullPayload(pull));
    }
    if ((m = match("GET {repo}/pulls/(\\d+)"))) {
      const pull = this.pulls.find((candidate) => candidate.number === Number(m![1]));
      return pull ? reply(200, this.pullPayload(pull)) : reply(404, { message: "Not Found" });
    }
    if ((m = match("PATCH {repo}/pulls/(\\d+)"))) {
      const pull = this.pulls.find((candidate) => candidate.number === Number(m![1]));
      if (!pull) return reply(404, { message: "Not Found" });
      Object.assign(pull, pick(json, ["title", "body", "state"]));
      return reply(200, this.pullPayload(pull));
    }
    if ((m = match("POST {repo}/pulls/(\\d+)/requested_reviewers"))) {
      const pull = this.pulls.find((candidate) => candidate.number === Number(m![1]));
      if (pull) pull.reviewers = json.reviewers as string[];
      return reply(201, {});
    }
    if ((m = match("GET {repo}/pulls/(\\d+)/files"))) {
      const pull = this.pulls.find((candidate) => candidate.number === Number(m![1]))!;
      const names = (await this.runGit(["diff", "--name-only", `${pull.base}...${pull.fork?.sha ?? `refs/heads/${pull.head}`}`])).split("\n").filter(Boolean);
      return reply(200, names.map((filename) => ({ filename, status: "modified" })));
    }
    if (match("POST {repo}/git/trees")) return reply(201, { sha: await this.writeTree(String(json.base_tree), json.tree as { path: string; mode: string; content: string }[]) });
    if (match("POST {repo}/git/commits")) {
      const parents = (json.parents as string[]).flatMap((parent) => ["-p", parent]);
      const sha = (
        await this.runGit(["commit-tree", String(json.tree), ...parents, "-m", String(json.message)], {
          env: { ...process.env, GIT_AUTHOR_NAME: "rightsize[bot]", GIT_AUTHOR_EMAIL: "bot@example.com", GIT_COMMITTER_NAME: "GitHub", GIT_COMMITTER_EMAIL: "noreply@github.com" },
        })
      ).trim();
      return reply(201, { sha, tree: { sha: json.tree } });
    }
    if (match("POST {repo}/git/refs")) {
      if (this.readRef(String(json.ref)) !== undefined) return reply(422, { message: "Reference already exists" });
      await this.writeRef(String(json.ref), String(json.sha));
      return reply(201, { ref: json.ref, object: { sha: json.sha } });
    }
    if ((m = match("GET {repo}/git/ref/(.+)"))) {
      const sha = this.readRef(`refs/${m[1]}`);
      return sha === undefined ? reply(404, { message: "Not Found" }) : reply(200, { ref: `refs/${m[1]}`, object: { sha } });
    }
    if ((m = match("PATCH {repo}/git/refs/(.+)"))) {
      await this.writeRef(`refs/${m[1]}`, String(json.sha));
      return reply(200, { ref: `refs/${m[1]}`, object: { sha: json.sha } });
    }
    if ((m = match("DELETE {repo}/git/refs/(.+)"))) {
      if (this.readRef(`refs/${m[1]}`) === undefined) return reply(422, { message: "Reference does not exist" });
      await this.runGit(["update-ref", "-d", `refs/${m[1]}`]);
      return reply(204);
    }
    if ((m = match("GET {repo}/compare/(.+)\\.\\.\\.(.+)"))) {
      // GitHub's three-dot comparison: commits and files of head since the merge base, and how far base moved on.
      const [base, head] = [this.revParse(m[1]!), this.revParse(m[2]!)];
      if (!base || !head) return reply(404, { message: "Not Found" });
      // One shell runs the four git commands: a comparison costs one process of this one.
      const [mergeBase = "", behindText = "0", fileList = "", log = ""] = (
        await this.runGit(
          ["-c", 'b=$(git merge-base "$1" "$2") && echo "$b" && printf "\\035" && git rev-list --count "$b..$1" && printf "\\035" && git diff --name-only "$b" "$2" && printf "\\035" && git log --reverse --format=%H%x1f%T%x1f%P%x1f%an%x1f%B%x1e "$b..$2"', "sh", base, head],
          { file: "sh" },
        )
      ).split("\x1d");
      const commits = log
        .split("\x1e")
        .map((entry) => entry.replace(/^\n/, ""))
        .filter(Boolean)
        .map((entry) => {
          const [sha, tree, parents, author, message] = entry.split("\x1f") as [string, string, string, string, string];
          return {
            sha,
            commit: { message: message.trimEnd(), tree: { sha: tree } },
            // GitHub names an author's account when it knows the commit's email; here only the app's.
            author: author === APP_LOGIN ? { login: APP_LOGIN, type: "Bot" } : null,
            parents: parents.split(" ").filter(Boolean).map((parent) => ({ sha: parent })),
          };
        });
      const shas = commits.map((commit) => commit.sha);
      const files = fileList.split("\n").filter(Boolean).map((filename) => ({ filename, status: "modified" }));
      const behind = Number(behindText.trim());
      return reply(200, { ahead_by: shas.length, behind_by: behind, total_commits: shas.length, merge_base_commit: { sha: mergeBase.trim() }, commits, files });
    }
    if ((m = match("GET {repo}/commits/([0-9a-f]+)/check-runs"))) {
      const runs = this.checkRuns.filter((run) => run.head_sha === m![1] && run.name === url.searchParams.get("check_name"));
      return reply(200, { total_count: runs.length, check_runs: runs.slice(-1) });
    }
    if (match("POST {repo}/check-runs")) {
      const run = { id: this.next++, head_sha: String(json.head_sha), name: String(json.name), conclusion: json.conclusion as string, output: json.output };
      this.checkRuns.push(run);
      return reply(201, run);
    }
    if ((m = match("PATCH {repo}/check-runs/(\\d+)"))) {
      const run = this.checkRuns.find((candidate) => candidate.id === Number(m![1]));
      if (run) Object.assign(run, pick(json, ["conclusion", "output"]));
      return reply(200, run);
    }
    return reply(404, { message: `the stand-in does not serve ${route}` });
  }

  /** Merges a pull request the way a reviewer would (fast-forward of the base), and returns its webhook payload. */
  merge(number: number, at: string): Record<string, unknown> {
    const pull = this.pulls.find((candidate) => candidate.number === number)!;
    const tip = this.readRef(`refs/heads/${pull.head}`)!;
    // Done when this returns (the test goes on at once): git in this process, not the runner.
    this.git("update-ref", `refs/heads/${pull.base}`, tip);
    Object.assign(pull, { state: "closed", merged_at: at });
    return { ...this.pullPayload(pull), merged: true, merge_commit_sha: tip };
  }

  /**
   * A pull request from a fork that changes files of `main`: its commit lives in this repository
   * under refs/pull/N/head, as GitHub keeps it. Returns its `pull_request.opened` payload.
   */
  openFromFork(files: Record<string, string>, fork = "mallory/shop-config"): Record<string, unknown> {
    const work = mkdtempSync(path.join(tmpdir(), "rightsize-standin-fork-"));
    try {
      git(this.root, "clone", "--quiet", this.gitDir, work);
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
        writeFileSync(path.join(work, file), text);
      }
      git(work, "add", ".");
      git(work, "-c", "user.name=Mallory", "-c", "user.email=mallory@example.com", "commit", "--quiet", "-m", "Change the policy");
      const number = this.next++;
      const sha = git(work, "rev-parse", "HEAD").trim();
      git(work, "push", "--quiet", "origin", `HEAD:refs/pull/${number}/head`);
      const [login] = fork.split("/");
      const pull: PullRequestRecord = { number, state: "open", title: "Change the policy", body: "", head: "patch-1", base: "main", merged_at: null, labels: [], reviewers: [], draft: false, user: login!, fork: { fullName: fork, sha } };
      this.pulls.push(pull);
      return this.pullRequestEvent("opened", this.pullPayload(pull), login);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /** Every branch's tip, from one git call (a listing of many pull requests would otherwise run git for each). */
  private branchTips(): Map<string, string> {
    const tips = new Map<string, string>();
    for (const [name, sha] of this.packedRefs()) if (name.startsWith("refs/heads/")) tips.set(name.slice("refs/heads/".length), sha);
    const heads = path.join(this.gitDir, "refs/heads");
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else tips.set(path.relative(heads, full), readFileSync(full, "utf8").trim());
      }
    };
    if (existsSync(heads)) walk(heads);
    return tips;
  }

  pullPayload(pull: PullRequestRecord, tips?: Map<string, string>): Record<string, unknown> {
    if (pull.fork) {
      const [owner, name] = pull.fork.fullName.split("/");
      return {
        number: pull.number,
        state: pull.state,
        title: pull.title,
        body: pull.body,
        draft: pull.draft,
        merged_at: pull.merged_at,
        html_url: `http://127.0.0.1:${this.port}/${this.owner}/${this.repo}/pull/${pull.number}`,
        head: { ref: pull.head, sha: pull.fork.sha, repo: { full_name: pull.fork.fullName, name, owner: { login: owner } } },
        base: { ref: pull.base },
        labels: [],
        user: userOf(pull.user),
      };
    }
    const sha = (tips ? tips.get(pull.head) : this.readRef(`refs/heads/${pull.head}`)) ?? "0".repeat(40);
    return {
      number: pull.number,
      state: pull.state,
      title: pull.title,
      body: pull.body,
      draft: pull.draft,
      merged_at: pull.merged_at,
      html_url: `http://127.0.0.1:${this.port}/${this.owner}/${this.repo}/pull/${pull.number}`,
      head: { ref: pull.head, sha, repo: { full_name: `${this.owner}/${this.repo}`, name: this.repo, owner: { login: this.owner } } },
      base: { ref: pull.base },
      labels: pull.labels.map((name) => ({ name })),
      user: userOf(pull.user),
    };
  }

  /** A tree: the base tree with the entries written over it, in one shell of git commands. */
  private async writeTree(baseTree: string, entries: { path: string; mode: string; content: string }[]): Promise<string> {
    const scratch = mkdtempSync(path.join(tmpdir(), "rightsize-standin-index-"));
    try {
      const files = entries.map((entry, index) => {
        const file = path.join(scratch, `blob-${index}`);
        writeFileSync(file, entry.content);
        return file;
      });
      // A blob's id is the SHA-1 of "blob <size>\0<content>" (git's object format).
      const info = entries.map((entry) => `${entry.mode} ${createHash("sha1").update(`blob ${Buffer.byteLength(entry.content)}\0`).update(entry.content).digest("hex")}\t${entry.path}\n`).join("");
      writeFileSync(path.join(scratch, "paths"), files.map((file) => `${file}\n`).join(""));
      writeFileSync(path.join(scratch, "info"), info);
      return (
        await this.runGit(["-c", 'git read-tree "$1" && git hash-object -w --stdin-paths < "$2/paths" > /dev/null && git update-index --add --index-info < "$2/info" && git write-tree', "sh", baseTree, scratch], {
          file: "sh",
          env: { ...process.env, GIT_INDEX_FILE: path.join(scratch, "index") },
        })
      ).trim();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Git's smart HTTP protocol, served by git itself. */
  private async serveGit(request: IncomingMessage, response: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const result = await this.runner.run("git", ["http-backend"], {
      cwd: this.root,
      input: body,
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: this.root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: request.method ?? "GET",
        CONTENT_TYPE: request.headers["content-type"] ?? "",
        CONTENT_LENGTH: String(body.length),
        REMOTE_ADDR: "127.0.0.1",
        GIT_PROTOCOL: String(request.headers["git-protocol"] ?? ""),
        HTTP_CONTENT_ENCODING: String(request.headers["content-encoding"] ?? ""),
      },
    });
    const all = result.stdout;
    const split = all.indexOf("\r\n\r\n");
    const headerText = all.subarray(0, split).toString("utf8");
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of headerText.split("\r\n")) {
      const [name, ...rest] = line.split(":");
      const value = rest.join(":").trim();
      if (name!.toLowerCase() === "status") status = Number(value.split(" ")[0]);
      else if (name) headers[name] = value;
    }
    response.writeHead(status, headers).end(all.subarray(split + 4));
  }

  /**
   * A GET's answer with its ETag, or 304 Not Modified without a body when the request names that
   * ETag (If-None-Match), as GitHub answers; GitHub does not count a 304 against the rate limit.
   */
  private answer(request: IncomingMessage, response: ServerResponse, type: string, text: string): void {
    const etag = `"${createHash("sha1").update(request.url ?? "").update("\0").update(text).digest("hex")}"`;
    if (request.headers["if-none-match"] === etag) {
      this.notModified++;
      response.writeHead(304, { etag }).end();
      return;
    }
    response.writeHead(200, { "content-type": type, etag }).end(text);
  }

  /** A commit from a sha, a branch name or a ref, as GitHub resolves the sides of a comparison. */
  private revParse(ref: string): string | undefined {
    if (/^[0-9a-f]{40}$/.test(ref)) return ref;
    return this.readRef(ref.startsWith("refs/") ? ref : `refs/heads/${ref}`) ?? this.readRef(ref);
  }

  /**
   * A ref's commit, read from the bare repository's files (a loose ref, else packed-refs): the
   * stand-in answers many requests a second, and a git process for each would be most of its time.
   */
  readRef(ref: string): string | undefined {
    const loose = path.join(this.gitDir, ref);
    if (existsSync(loose) && statSync(loose).isFile()) return readFileSync(loose, "utf8").trim();
    return this.packedRefs().get(ref);
  }

  /** The refs in the bare repository's packed-refs file, by name. */
  private packedRefs(): Map<string, string> {
    const refs = new Map<string, string>();
    const packed = path.join(this.gitDir, "packed-refs");
    if (!existsSync(packed)) return refs;
    for (const line of readFileSync(packed, "utf8").split("\n")) {
      const [sha, name] = line.split(" ");
      if (name && sha && /^[0-9a-f]{40}$/.test(sha)) refs.set(name, sha);
    }
    return refs;
  }

  private async writeRef(ref: string, sha: string): Promise<void> {
    await this.runGit(["update-ref", ref, sha]);
  }

  private async tryGit(...args: string[]): Promise<string | undefined> {
    const result = await this.runner.run("git", args, { cwd: this.gitDir });
    return result.status === 0 ? result.stdout.toString("utf8") : undefined;
  }
}

/** The account the app's installation token writes as. */
export const APP_LOGIN = "rightsize[bot]";

/** A user as GitHub names one in its answers. */
function userOf(login: string): { login: string; type: "Bot" | "User" } {
  return { login, type: login.endsWith("[bot]") ? "Bot" : "User" };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8" });
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function pick(object: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => key in object).map((key) => [key, object[key]]));
}
