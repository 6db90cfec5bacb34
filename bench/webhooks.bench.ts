/**
 * Webhook load (issue 15): 200 signed deliveries — slash commands, pull-request events and
 * pushes, a tenth of them delivered twice — fired at the built server (`node dist/app/main.js`)
 * on loopback, with GitHub stood in (REST and git over HTTP from a real bare repository). Once
 * with one replica and the in-process queue, once with two replicas sharing a real Redis.
 * Prints p50/p99 acknowledgement time, p50/p99 end-to-end time of the commands (delivery → the
 * reply on GitHub), peak memory per replica, and the deliveries lost or answered twice.
 *
 *   npm run build && npx tsx bench/webhooks.bench.ts [deliveries]      default: 200
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GitHubStandIn } from "../test/helpers/github-standin.js";
import { startRedis } from "../test/helpers/redis.js";
import { freePort } from "../test/helpers/prometheus.js";

const ROOT = path.join(import.meta.dirname, "..");
const SECRET = "bench-webhook-secret";
const DELIVERIES = Number(process.argv[2] ?? 200);

interface Replica {
  child: ChildProcess;
  port: number;
  peakKib(): number;
}

interface Delivery {
  id: string;
  name: string;
  payload: Record<string, unknown>;
  /** The comment a reply must answer, for commands. */
  commentId?: number;
  twice: boolean;
}

async function main(): Promise<void> {
  if (!readFileSync(path.join(ROOT, "dist/app/main.js"))) throw new Error("run npm run build first");
  const scratch = mkdtempSync(path.join(tmpdir(), "rightsize-webhooks-bench-"));
  try {
    const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    writeFileSync(path.join(scratch, "key.pem"), key);
    const snapshot = path.join(scratch, "snapshot.json");
    cpSync(path.join(ROOT, "examples/snapshot.json"), snapshot);
    writeFileSync(path.join(scratch, "clusters.yaml"), `clusters:\n  - name: prod\n    snapshot: ${snapshot}\n`);
    const rows: string[] = [];
    rows.push(await run("one replica, in-process queue", scratch, 1));
    const redis = await startRedis();
    try {
      rows.push(await run("two replicas, BullMQ on Redis", scratch, 2, redis.url));
    } finally {
      await redis.stop();
    }
    console.log(`\n${DELIVERIES} deliveries (${Math.round(DELIVERIES / 10)} of them twice)`);
    console.log("setup                          | ack p50 | ack p99 | command e2e p50 | e2e p99 | peak RSS per replica | lost | duplicated");
    console.log("---                            | ---     | ---     | ---             | ---     | ---                  | ---  | ---");
    for (const row of rows) console.log(row);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function run(label: string, scratch: string, count: number, redisUrl?: string): Promise<string> {
  const github = await GitHubStandIn.withExample();
  const replicas: Replica[] = [];
  try {
    for (let index = 0; index < count; index++) replicas.push(await startReplica(scratch, github, redisUrl));
    const deliveries = makeDeliveries(github);
    const acks: number[] = [];
    const sentAt = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < deliveries.length) {
          const delivery = deliveries[next++]!;
          const targets = delivery.twice ? replicas : [replicas[next % replicas.length]!];
          for (const replica of targets) {
            const started = performance.now();
            if (delivery.commentId !== undefined && !sentAt.has(delivery.commentId)) sentAt.set(delivery.commentId, Date.now());
            await post(replica.port, delivery);
            acks.push(performance.now() - started);
          }
        }
      }),
    );
    const commands = deliveries.filter((delivery) => delivery.commentId !== undefined);
    const replyTimes = new Map<number, number>();
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      for (const comment of github.comments) {
        const id = Number(/<!-- rightsize:reply (\d+) -->/.exec(comment.body)?.[1]);
        if (id && !replyTimes.has(id)) replyTimes.set(id, Date.now());
      }
      if (commands.every((delivery) => replyTimes.has(delivery.commentId!))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const answered = new Map<number, number>();
    for (const comment of github.comments) {
      const id = Number(/<!-- rightsize:reply (\d+) -->/.exec(comment.body)?.[1]);
      if (id) answered.set(id, (answered.get(id) ?? 0) + 1);
    }
    const lost = commands.filter((delivery) => !answered.has(delivery.commentId!)).length;
    const duplicated = [...answered.values()].filter((times) => times > 1).length + Math.max(0, github.pulls.length - 1);
    const e2e = commands.flatMap((delivery) => (replyTimes.has(delivery.commentId!) ? [replyTimes.get(delivery.commentId!)! - sentAt.get(delivery.commentId!)!] : []));
    const peak = replicas.map((replica) => `${Math.round(replica.peakKib() / 1024)} MiB`).join(", ");
    return `${label.padEnd(30)} | ${ms(percentile(acks, 0.5))} | ${ms(percentile(acks, 0.99))} | ${ms(percentile(e2e, 0.5)).padEnd(15)} | ${ms(percentile(e2e, 0.99))} | ${peak.padEnd(20)} | ${lost} | ${duplicated}`;
  } finally {
    for (const replica of replicas) replica.child.kill("SIGKILL");
    await github.stop();
  }
}

/** The mix: commands (cheap and expensive, one of them opening a PR), PR events, pushes. */
function makeDeliveries(github: GitHubStandIn): Delivery[] {
  const repository = github.repositoryPayload();
  const sender = { login: "alice", type: "User" };
  const deliveries: Delivery[] = [];
  for (let index = 0; index < DELIVERIES; index++) {
    const id = `bench-${index}`;
    const twice = index % 10 === 0;
    const kind = index % 5;
    if (kind === 0 || kind === 1) {
      const commentId = 10_000 + index;
      const body = index === 0 ? "/rightsize deployment/frontend" : kind === 0 ? "/rightsize help" : "/rightsize all --dry-run";
      deliveries.push({
        id,
        name: "issue_comment",
        commentId,
        twice,
        payload: { action: "created", issue: { number: 1 + (index % 7), title: "t", state: "open" }, comment: { id: commentId, body, user: sender }, repository, sender, installation: { id: 2 } },
      });
    } else if (kind === 2) {
      deliveries.push({ id, name: "pull_request", twice, payload: { action: "closed", number: 900, pull_request: { number: 900, state: "closed", merged: false, body: "a person's PR", head: { ref: "feature", sha: "1".repeat(40), repo: { full_name: "acme/shop-config" } } }, repository, sender, installation: { id: 2 } } });
    } else if (kind === 3) {
      deliveries.push({ id, name: "push", twice, payload: { ref: "refs/heads/main", before: "0".repeat(40), after: "2".repeat(40), deleted: false, commits: [{ id: "2".repeat(40), added: [], modified: ["apps/storefront/frontend.yaml"], removed: [] }], repository: { ...repository, master_branch: "main" }, sender, installation: { id: 2 } } });
    } else {
      deliveries.push({ id, name: "push", twice, payload: { ref: "refs/heads/rightsize/prod/shop/deployment-frontend", before: "0".repeat(40), after: "3".repeat(40), deleted: false, commits: [], repository: { ...repository, master_branch: "main" }, sender: { login: "rightsize[bot]", type: "Bot" }, installation: { id: 2 } } });
    }
  }
  return deliveries;
}

async function startReplica(scratch: string, github: GitHubStandIn, redisUrl?: string): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, "dist/app/main.js")], {
    env: {
      PATH: process.env.PATH,
      APP_ID: "1",
      PRIVATE_KEY_PATH: path.join(scratch, "key.pem"),
      WEBHOOK_SECRET: SECRET,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
      GHE_HOST: `127.0.0.1:${github.port}`,
      GHE_PROTOCOL: "http",
      RIGHTSIZE_CLUSTERS_FILE: path.join(scratch, "clusters.yaml"),
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // The process has ended.
    }
  }, 200);
  child.once("exit", () => clearInterval(sampler));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      if (Date.now() > deadline) throw new Error("the server did not start");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { child, port, peakKib: () => peak };
}

async function post(port: number, delivery: Delivery): Promise<void> {
  const body = JSON.stringify(delivery.payload);
  const response = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": delivery.name,
      "x-github-delivery": delivery.id,
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
    },
  });
  await response.arrayBuffer();
}

function percentile(values: number[], quantile: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]!;
}

function ms(value: number): string {
  return Number.isNaN(value) ? "—" : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}

await main();
