/**
 * An organisation's weekly scan: N config repositories of W Deployments each (plain manifests,
 * a policy with a dashboard) behind the loopback GitHub stand-in, two replicas (child processes)
 * of the app's Redis work queue on one real Redis, one scan job per repository; then the same
 * scan again with nothing changed, twice (the rescan that costs almost nothing, SPEC §10; each
 * replica keeps its own ETags, so a 304 needs the replica that read the same answer last). Prints the
 * wall time of each pass, GitHub API calls per repository, what that is against an
 * installation's 5,000 requests an hour, clones, peak RSS per replica, and jobs lost or run twice.
 *
 *   npx tsx bench/org.bench.ts [repositories] [workloads]     default: 1000 repositories of 20
 *
 * 1,000 repositories take a while on a small machine; the per-repository figures of a smaller
 * count (50, 200) scale to 1,000 (the bench prints both).
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RedisQueue } from "../src/app/queue.js";
import { GitHubStandIn } from "../test/helpers/github-standin.js";
import { ProcessRunner } from "../test/helpers/process-runner.js";
import { startRedis } from "../test/helpers/redis.js";
import { writeConfigRepo } from "./org/generate.js";
import type { ReplicaMessage } from "./org/replica.js";

const REPOSITORIES = Number(process.argv[2] ?? 1000);
const WORKLOADS = Number(process.argv[3] ?? 20);
const REPLICAS = ["replica-a", "replica-b"];
/** GitHub's primary rate limit of an installation (requests an hour); a 304 does not count. */
const HOURLY_LIMIT = 5_000;
const ORGANISATION = 1_000;
const HERE = path.dirname(fileURLToPath(import.meta.url));

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" });

// ---------- the repositories: one bare template, copied for each stand-in ----------
const scratch = mkdtempSync(path.join(tmpdir(), "rightsize-org-bench-"));
const work = path.join(scratch, "work");
writeConfigRepo(work, WORKLOADS);
git(scratch, "init", "--quiet", "--initial-branch=main", work);
git(work, "add", ".");
git(work, "-c", "user.name=Platform", "-c", "user.email=platform@example.com", "commit", "--quiet", "-m", "Config repo");
const template = path.join(scratch, "template.git");
git(scratch, "clone", "--quiet", "--bare", work, template);
git(template, "config", "http.receivepack", "true");

const runner = new ProcessRunner();
const standIns: GitHubStandIn[] = [];
const setupStarted = Date.now();
for (let index = 0; index < REPOSITORIES; index++) {
  const github = new GitHubStandIn("acme", `config-${String(index).padStart(4, "0")}`, runner);
  cpSync(template, github.gitDir, { recursive: true });
  await github.start();
  standIns.push(github);
}
const redis = await startRedis();
console.log(`${REPOSITORIES} repositories of ${WORKLOADS} Deployments, ${REPLICAS.length} replicas (child processes) on one Redis; set up in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);

// ---------- two replicas ----------
const runs = new Map<string, Extract<ReplicaMessage, { type: "ran" }>[]>();
const failed = new Map<string, string>();
const stopped: Extract<ReplicaMessage, { type: "stopped" }>[] = [];
let onProgress = () => {};
const replicas: ChildProcess[] = await Promise.all(
  REPLICAS.map(
    (name) =>
      new Promise<ChildProcess>((resolve, reject) => {
        const child = fork(path.join(HERE, "org/replica.ts"), [redis.url, name, String(WORKLOADS)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
        child.on("message", (message: ReplicaMessage) => {
          if (message.type === "ready") resolve(child);
          else if (message.type === "ran") runs.set(message.id, [...(runs.get(message.id) ?? []), message]);
          else if (message.type === "failed") failed.set(message.id, message.error);
          else if (message.type === "stopped") stopped.push(message);
          onProgress();
        });
        child.once("exit", (code) => reject(new Error(`${name} exited (${code}) before it was ready`)));
      }),
  ),
);
const producer = new RedisQueue(redis.url, { queueName: "org-bench" });

interface PassFigures {
  label: string;
  seconds: number;
  calls: number;
  notModified: number;
  writes: number;
  clones: number;
  created: number;
  outcomes: Record<string, number>;
  lost: number;
  duplicated: number;
  retried: number;
  byReplica: Record<string, number>;
}

async function pass(label: string): Promise<PassFigures> {
  const before = standIns.map((github) => ({ requests: github.requests.length, notModified: github.notModified }));
  const ids = standIns.map((github) => `scan-${github.repo}-${label}`);
  const started = Date.now();
  const done = () => ids.every((id) => failed.has(id) || (runs.get(id) ?? []).some((run) => run.outcome !== "error"));
  const finished = new Promise<void>((resolve) => {
    onProgress = () => done() && resolve();
  });
  for (const github of standIns) {
    await producer.enqueue({ kind: "scan", id: `scan-${github.repo}-${label}`, installationId: 2, repository: `${github.owner}/${github.repo}`, target: { owner: github.owner, repo: github.repo, defaultBranch: "main", cloneUrl: github.cloneUrl } });
  }
  await finished;
  const seconds = (Date.now() - started) / 1000;
  // A moment for a job run twice to show itself.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const requests = standIns.flatMap((github, index) => github.requests.slice(before[index]!.requests));
  const succeeded = ids.map((id) => (runs.get(id) ?? []).filter((run) => run.outcome !== "error"));
  const outcomes: Record<string, number> = {};
  const byReplica: Record<string, number> = {};
  for (const run of succeeded.flat()) {
    outcomes[run.outcome] = (outcomes[run.outcome] ?? 0) + 1;
    byReplica[run.replica] = (byReplica[run.replica] ?? 0) + 1;
  }
  return {
    label,
    seconds,
    calls: requests.filter((request) => request.includes(" /api/v3/")).length,
    notModified: standIns.reduce((sum, github, index) => sum + github.notModified - before[index]!.notModified, 0),
    writes: requests.filter((request) => request.includes(" /api/v3/") && !request.startsWith("GET ")).length,
    clones: requests.filter((request) => request.endsWith("/info/refs")).length,
    created: succeeded.flat().reduce((sum, run) => sum + run.created, 0),
    outcomes,
    lost: succeeded.filter((list) => list.length === 0).length,
    duplicated: succeeded.filter((list) => list.length > 1).length,
    retried: ids.reduce((sum, id) => sum + (runs.get(id) ?? []).filter((run) => run.outcome === "error").length, 0),
    byReplica,
  };
}

const first = await pass("weekly");
const rescan = await pass("rescan");
// The week after: a replica that ran the rescan of a repository holds its ETags now.
const again = await pass("rescan-again");

for (const child of replicas) child.send({ type: "stop" });
await new Promise<void>((resolve) => {
  onProgress = () => stopped.length === replicas.length && resolve();
  onProgress();
});
await producer.close();
const violations: string[] = [];
for (const github of standIns) await github.stop().catch((error: Error) => violations.push(`${github.repo}: ${error.message}`));
runner.stop();
await redis.stop();
rmSync(scratch, { recursive: true, force: true });

// ---------- report ----------
const per = (value: number) => (value / REPOSITORIES).toFixed(2);
const perHour = (calls: number, seconds: number) => Math.round((calls / seconds) * 3600);
console.log(`\n(ran with ${REPOSITORIES} repositories; "× ${ORGANISATION}" scales the per-repository figures to an organisation of ${ORGANISATION})`);
const titles: Record<string, string> = { weekly: "First (weekly) scan", rescan: "Rescan, nothing changed", "rescan-again": "Rescan again, nothing changed (a replica's ETags are current when it read the repository last time)" };
for (const figures of [first, rescan, again]) {
  const counted = figures.calls - figures.notModified;
  console.log(`\n${titles[figures.label]}: ${figures.seconds.toFixed(1)} s wall (${((figures.seconds / REPOSITORIES) * 1000).toFixed(0)} ms per repository; × ${ORGANISATION}: ~${((figures.seconds / REPOSITORIES) * ORGANISATION / 60).toFixed(1)} min)`);
  console.log(`  outcomes:               ${JSON.stringify(figures.outcomes)}; jobs per replica ${JSON.stringify(figures.byReplica)}; pull requests opened ${figures.created} (${per(figures.created)} per repository)`);
  console.log(`  API calls:              ${figures.calls} (${per(figures.calls)} per repository), of them writes ${figures.writes} (${per(figures.writes)}), 304 Not Modified ${figures.notModified} (${per(figures.notModified)})`);
  console.log(`  counted by GitHub:      ${counted} (${per(counted)} per repository; 304s are free)`);
  console.log(`  × ${ORGANISATION} repositories:     ${Math.round((figures.calls / REPOSITORIES) * ORGANISATION)} calls, ${Math.round((counted / REPOSITORIES) * ORGANISATION)} counted = ${((counted / REPOSITORIES) * ORGANISATION / HOURLY_LIMIT).toFixed(2)} h of the installation's ${HOURLY_LIMIT}/hour (${((figures.calls / REPOSITORIES) * ORGANISATION / HOURLY_LIMIT).toFixed(2)} h if 304s counted)`);
  console.log(`  pace on this machine:   ${perHour(figures.calls, figures.seconds)} calls/hour, ${perHour(counted, figures.seconds)} counted/hour (${(perHour(counted, figures.seconds) / HOURLY_LIMIT).toFixed(1)}× the ${HOURLY_LIMIT}/hour limit)`);
  console.log(`  clones:                 ${figures.clones} (${per(figures.clones)} per repository)`);
  console.log(`  jobs lost ${figures.lost}, run twice ${figures.duplicated}, failed for good ${[...failed.keys()].filter((id) => id.endsWith(`-${figures.label}`)).length}, attempts retried ${figures.retried}`);
}
console.log(`\nPeak RSS per replica: ${stopped.map((replica) => `${replica.replica} ${(replica.maxRssKiB / 1024).toFixed(0)} MB (conditional cache: ${replica.notModified} answered 304, ${replica.fetched} fetched)`).join("; ")}`);
if (violations.length > 0) console.log(`\nRequests GitHub's REST description does not allow:\n${violations.join("\n")}`);
for (const [id, error] of failed) console.log(`failed: ${id}: ${error}`);
