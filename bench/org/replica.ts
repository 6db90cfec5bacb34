/**
 * One replica of the organisation bench: the app's Redis work queue, whose scan jobs run the
 * scheduled scan of their repository against the loopback GitHub stand-in. It tells the parent
 * about every handler run (job id, what the scan did) over IPC, and its peak RSS when told to stop.
 *
 *   forked by bench/org.bench.ts with: <redis url> <replica name> <workloads per repository>
 */
import { Octokit } from "@octokit/rest";
import { RedisQueue, type WorkJob } from "../../src/app/queue.js";
import { conditionalCache } from "../../src/pipeline/github/conditional.js";
import { scanGitHubRepository, withConditionalRequests } from "../../src/pipeline/index.js";
import { CREATED_AT, observationOf } from "./generate.js";

export type ReplicaMessage =
  | { type: "ready" }
  | { type: "ran"; id: string; replica: string; outcome: "unchanged" | "scanned" | "error"; created: number; milliseconds: number; error?: string }
  | { type: "failed"; id: string; error: string }
  | { type: "stopped"; replica: string; maxRssKiB: number; notModified: number; fetched: number };

const [url, replica, workloadsText] = process.argv.slice(2) as [string, string, string];
const workloads = Number(workloadsText);
const send = (message: ReplicaMessage) => process.send!(message);
// One conditional-request cache per replica, as the app keeps one per process.
const cache = conditionalCache();

const queue = new RedisQueue(url, { queueName: "org-bench", attempts: 3, backoffMilliseconds: 500, onFailed: (job, error) => send({ type: "failed", id: job.id, error: String(error) }) });

async function handle(job: WorkJob): Promise<void> {
  const started = Date.now();
  const target = job.target!;
  const index = Number(/(\d+)$/.exec(target.repo)![1]);
  const snapshot = observationOf(index, workloads);
  try {
    const outcome = await scanGitHubRepository({
      octokit: withConditionalRequests(new Octokit({ auth: "ghs_bench", baseUrl: `${new URL(target.cloneUrl).origin}/api/v3` }), cache),
      repository: { ...target, botLogin: "rightsize[bot]" },
      token: "ghs_bench",
      now: new Date(CREATED_AT),
      observe: async () => ({ snapshot, at: snapshot.createdAt }),
    });
    const created = outcome.run?.results.filter((result) => result.status === "created").length ?? 0;
    send({ type: "ran", id: job.id, replica, outcome: outcome.unchanged ? "unchanged" : "scanned", created, milliseconds: Date.now() - started });
  } catch (error) {
    send({ type: "ran", id: job.id, replica, outcome: "error", created: 0, milliseconds: Date.now() - started, error: String(error) });
    throw error;
  }
}

process.on("message", (message: { type: string }) => {
  if (message.type !== "stop") return;
  void queue.close().then(() => {
    send({ type: "stopped", replica, maxRssKiB: process.resourceUsage().maxRSS, notModified: cache.notModified, fetched: cache.fetched });
    process.disconnect();
  });
});

await queue.start(handle);
send({ type: "ready" });
