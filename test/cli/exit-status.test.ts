import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rightsize } from "../helpers/cli.js";
import { exampleRepo, type ExampleRepo } from "../helpers/git-repo.js";
import { freePort } from "../helpers/prometheus.js";

/*
 * README "The CLI": 0 ok, 1 a finding or refusal to act on, 2 usage or input error, 3 an
 * external system failed. Every failure is one line on stderr, never a stack trace.
 */

const ROOT = path.join(import.meta.dirname, "../..");
const EXAMPLES = path.join(ROOT, "examples");
const CONFIG_REPO = path.join(EXAMPLES, "config-repo");
const SNAPSHOT = path.join(EXAMPLES, "snapshot.json");
const POLICY = (name: string) => path.join(ROOT, "test/fixtures/policy", name);
const SNAPSHOTS = path.join(ROOT, "test/fixtures/snapshots");

const scratch = mkdtempSync(path.join(tmpdir(), "rightsize-exit-"));
const BLOCKED = path.join(scratch, "blocked.json");
const OTHER_CLUSTER = path.join(scratch, "default-cluster.json");
const A_FILE = path.join(scratch, "a-file.txt");
const NOT_EMPTY = path.join(scratch, "not-empty");
let okRepo: ExampleRepo;
let blockedRepo: ExampleRepo;
let unreachable: string;

beforeAll(async () => {
  const snapshot = JSON.parse(readFileSync(SNAPSHOT, "utf8"));
  const blocked = structuredClone(snapshot);
  blocked.workloads.find((observation: { workload: { name: string } }) => observation.workload.name === "frontend").problems = ["Prometheus answered 403 for namespace shop"];
  writeFileSync(BLOCKED, JSON.stringify(blocked));
  const elsewhere = structuredClone(snapshot);
  for (const observation of elsewhere.workloads) observation.workload.cluster = "default";
  writeFileSync(OTHER_CLUSTER, JSON.stringify(elsewhere));
  writeFileSync(A_FILE, "not a directory\n");
  mkdirSync(NOT_EMPTY);
  writeFileSync(path.join(NOT_EMPTY, "notes.md"), "my uncommitted work\n");
  okRepo = exampleRepo();
  blockedRepo = exampleRepo();
  unreachable = `http://127.0.0.1:${await freePort()}`;
});

afterAll(() => {
  okRepo?.cleanup();
  blockedRepo?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

type Row = [what: string, args: () => string[], status: number, stderr: RegExp];

const rows: Row[] = [
  ["no command: the help, on stderr", () => [], 2, /^Usage: rightsize \[options\] \[command\]/],
  ["--help", () => ["--help"], 0, /^$/],
  ["an unknown command", () => ["frobnicate"], 2, /^error: unknown command 'frobnicate'/],
  ["an unknown flag", () => ["plan", "--frobnicate"], 2, /^error: unknown option '--frobnicate'/],
  ["a command group without its command", () => ["policy"], 2, /^Usage: rightsize policy/],
  ["policy validate: valid", () => ["policy", "validate", POLICY("v1alpha2-full.yml")], 0, /^$/],
  ["policy validate: valid with warnings", () => ["policy", "validate", POLICY("newer.yml")], 1, /^$/],
  ["policy validate: invalid", () => ["policy", "validate", POLICY("invalid.yml")], 2, /^$/],
  ["recommend: a blocked workload", () => ["recommend", "--snapshot", path.join(SNAPSHOTS, "shop.json")], 1, /^$/],
  ["recommend: an invalid snapshot", () => ["recommend", "--snapshot", path.join(SNAPSHOTS, "invalid-p95.json")], 2, /invalid observation snapshot/],
  ["recommend: a directory as the snapshot", () => ["recommend", "--snapshot", scratch], 2, /^rightsize: .*: cannot read the observation snapshot \(it is a directory\)/],
  ["recommend: a workload the snapshot does not hold", () => ["recommend", "--snapshot", SNAPSHOT, "deployment/frontnd"], 2, /^rightsize: no workload deployment\/frontnd in .*snapshot\.json; did you mean shop\/deployment\/frontend\?\n$/],
  ["plan: a mistyped flag", () => ["plan", "--snapshto", SNAPSHOT], 2, /^error: unknown option '--snapshto'\n\(Did you mean --snapshot\?\)\nsee rightsize plan --help\n$/],
  ["plan: a workload the repository does not hold", () => ["plan", "--repo", CONFIG_REPO, "--snapshot", SNAPSHOT, "shop/deployment/frontnd"], 2, /did you mean shop\/deployment\/frontend\?\n$/],
  ["plan: everything matched, nothing blocked", () => ["plan", "--repo", CONFIG_REPO, "--snapshot", SNAPSHOT], 0, /^$/],
  ["plan: a blocked workload", () => ["plan", "--repo", CONFIG_REPO, "--snapshot", BLOCKED], 1, /^$/],
  ["plan: nothing matched (another cluster name)", () => ["plan", "--repo", CONFIG_REPO, "--snapshot", OTHER_CLUSTER], 1, /the snapshot observed cluster "default" but the policy's targets name "prod"/],
  ["plan: --repo that does not exist", () => ["plan", "--repo", "/nonexistent", "--snapshot", SNAPSHOT], 2, /^rightsize: --repo \/nonexistent: no such directory; pass the directory of a checkout of your config repo\n$/],
  ["plan: --repo that is a file", () => ["plan", "--repo", A_FILE, "--snapshot", SNAPSHOT], 2, /^rightsize: --repo .*a-file\.txt: not a directory/],
  ["propose --local: proposals written", () => ["propose", "--local", "--repo", okRepo.work, "--snapshot", SNAPSHOT], 0, /^rightsize: proposals from main at [0-9a-f]{12}, with the policy \.github\/rightsize\.yml of that commit\nrightsize: pull request bodies are in \.rightsize\/out\/ of the checkout, which git ignores \(listed in \.git\/info\/exclude\)\n$/],
  ["propose --local: a blocked workload, as plan", () => ["propose", "--local", "--repo", blockedRepo.work, "--snapshot", BLOCKED], 1, /^rightsize: proposals from main at [0-9a-f]{12}, with the policy [^\n]+\nrightsize: pull request bodies are in [^\n]+\n$/],
  ["propose --local: nothing matched", () => ["propose", "--local", "--repo", blockedRepo.work, "--snapshot", OTHER_CLUSTER], 1, /nothing to recommend/],
  ["propose --local: --repo that does not exist", () => ["propose", "--local", "--repo", "/nonexistent", "--snapshot", SNAPSHOT], 2, /^rightsize: --repo \/nonexistent: no such directory/],
  ["propose --local: not a git repository", () => ["propose", "--local", "--repo", scratch, "--snapshot", SNAPSHOT], 2, /not a git repository with a commit/],
  ["propose without --local or a token", () => ["propose", "--repo", okRepo.work, "--snapshot", SNAPSHOT], 2, /^rightsize: choose --local/],
  ["demo --dir a file", () => ["demo", "--dir", A_FILE], 2, /^rightsize: --dir .*a-file\.txt is a file, not a directory; pass a new or empty directory for the example repository\n$/],
  ["demo --dir a directory that is not empty", () => ["demo", "--dir", NOT_EMPTY], 2, /^rightsize: --dir .*not-empty is not empty; the demo creates a git repository and commits the example there, so pass a new or empty directory\n$/],
  ["snapshot: Prometheus unreachable", () => ["snapshot", "--prometheus", unreachable, "--namespace", "shop", "--retries", "0"], 3, /\nrightsize: Prometheus at .* is unreachable: .*ECONNREFUSED/],
  ["snapshot: no namespace, so the policy's selection, from an unreachable Prometheus", () => ["snapshot", "--prometheus", unreachable, "--retries", "0"], 3, /^rightsize: Prometheus at .* is unreachable: .*ECONNREFUSED/],
  ["snapshot: --namespace and --all-namespaces", () => ["snapshot", "--prometheus", unreachable, "-n", "shop", "-A"], 2, /^rightsize: -n\/--namespace and -A\/--all-namespaces exclude each other\n$/],
  ["discover", () => ["discover", CONFIG_REPO], 0, /^$/],
  ["edit: a refused edit", () => ["edit", path.join(ROOT, "test/fixtures/manifests/refuse/merge-key.yaml"), "--kind", "Deployment", "--name", "api", "--container", "api", "--cpu-request", "1"], 2, /^rightsize: /],
];

describe("exit statuses across commands (README table)", () => {
  it.each(rows)("%s", async (_what, args, status, stderr) => {
    const saved = process.env.GITHUB_TOKEN;
    delete process.env.GITHUB_TOKEN;
    try {
      const result = await rightsize(...args());
      expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status, stderr: expect.stringMatching(stderr) });
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      if (saved !== undefined) process.env.GITHUB_TOKEN = saved;
    }
  });

  it("leaves a directory demo refused as it was", () => {
    expect(readFileSync(path.join(NOT_EMPTY, "notes.md"), "utf8")).toBe("my uncommitted work\n");
    expect(existsSync(path.join(NOT_EMPTY, ".git"))).toBe(false);
  });
});

describe("unreadable files and directories", () => {
  // Root reads through chmod 000, so as root the built CLI runs without the capabilities that let
  // it (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH); it stays root, so it can still
  // reach its own checkout wherever that is.
  const asRoot = process.getuid?.() === 0;
  const workspace = mkdtempSync(path.join(tmpdir(), "rightsize-unreadable-"));

  beforeAll(() => {
    cpSync(CONFIG_REPO, path.join(workspace, "repo"), { recursive: true });
    cpSync(SNAPSHOT, path.join(workspace, "snapshot.json"));
    mkdirSync(path.join(workspace, "repo/apps/secret"));
    writeFileSync(path.join(workspace, "repo/apps/secret/app.yaml"), "kind: Deployment\n");
    writeFileSync(path.join(workspace, "locked.json"), "{}");
    chmodSync(workspace, 0o755);
    if (asRoot) spawnSync("chmod", ["-R", "a+rX", workspace]);
    chmodSync(path.join(workspace, "repo/apps/secret"), 0o000);
    chmodSync(path.join(workspace, "locked.json"), 0o000);
  });
  afterAll(() => {
    chmodSync(path.join(workspace, "repo/apps/secret"), 0o755);
    rmSync(workspace, { recursive: true, force: true });
  });

  async function run(...args: string[]): Promise<{ status: number | null; stderr: string }> {
    if (!asRoot) {
      const saved = process.cwd();
      process.chdir(workspace);
      try {
        return await rightsize(...args);
      } finally {
        process.chdir(saved);
      }
    }
    if (!existsSync(path.join(ROOT, "dist/cli/main.js"))) throw new Error("dist/ is missing: run npm run build before the tests");
    const dropped = "-dac_override,-dac_read_search";
    const child = spawnSync("setpriv", [`--bounding-set=${dropped}`, `--inh-caps=${dropped}`, "--", process.execPath, path.join(ROOT, "bin/rightsize.js"), ...args], { cwd: workspace, encoding: "utf8" });
    return { status: child.status, stderr: child.stderr };
  }

  it("names an unreadable directory of the checkout in one line, exit 2", async () => {
    const result = await run("plan", "--repo", "repo", "--snapshot", "snapshot.json");
    expect(result).toEqual({ status: 2, stderr: `rightsize: cannot read ${path.join(workspace, "repo/apps/secret")}: permission denied (EACCES); check its permissions\n` });
  });

  it("names an unreadable snapshot in one line, exit 2", async () => {
    const result = await run("recommend", "--snapshot", "locked.json");
    expect(result).toEqual({ status: 2, stderr: 'rightsize: locked.json: cannot read the observation snapshot (permission denied; check its permissions); write one with "rightsize snapshot"\n' });
  });

  it("names an unreadable discover directory in one line, exit 2", async () => {
    const result = await run("discover", "repo");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^rightsize: cannot read .*repo\/apps\/secret: permission denied \(EACCES\); check its permissions\n$/);
  });
});
