import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleEventJob } from "../../src/app/index.js";
import { RedisQueue } from "../../src/app/queue.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { writeExampleSnapshot } from "../helpers/example.js";
import { GitHubStandIn } from "../helpers/github-standin.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";

/**
 * SPEC §10 "Scale": two app instances share one Redis. Webhook handlers only enqueue; both
 * instances work the queue; a burst of deliveries (each delivered to both) opens each PR once.
 */

let redis: RedisServer;
let github: GitHubStandIn;
let scratch: string;
const replicas: { app: TestApp; queue: RedisQueue }[] = [];

beforeAll(async () => {
  redis = await startRedis();
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-replicas-"));
  const snapshot = writeExampleSnapshot(scratch);
  github = await GitHubStandIn.withExample();
  for (let index = 0; index < 2; index++) {
    const queue = new RedisQueue(redis.url, { queueName: "replicas", lockMilliseconds: 10_000 });
    const app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot }] }, baseUrl: github.apiUrl });
    app.deps.queue = queue;
    await queue.start((job) => handleEventJob(app.probot, app.deps, job));
    replicas.push({ app, queue });
  }
});

afterAll(async () => {
  for (const replica of replicas) await replica.queue.close();
  await github?.stop();
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("two replicas on one Redis", () => {
  it("open each pull request exactly once for a burst of deliveries, each delivered to both", async () => {
    const deliveries = [
      { id: "d-1", payload: github.issueComment(701, "/rightsize all") },
      { id: "d-2", payload: github.issueComment(702, "/rightsize shop/deployment/frontend") },
      { id: "d-3", payload: github.issueComment(703, "/rightsize all") },
    ];
    // GitHub retries, and a load balancer may hand the same delivery to both replicas.
    await Promise.all(deliveries.flatMap((delivery) => replicas.map((replica) => replica.app.receive("issue_comment", delivery.payload, delivery.id))));
    const deadline = Date.now() + 60_000;
    while (github.comments.filter((entry) => entry.issue === 1).length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));

    expect(github.pulls.map((pull) => pull.head).sort()).toEqual([
      "rightsize/prod/shop/deployment-api",
      "rightsize/prod/shop/deployment-checkout",
      "rightsize/prod/shop/deployment-frontend",
    ]);
    const replies = github.comments.filter((entry) => entry.issue === 1).map((entry) => entry.body);
    expect(replies).toHaveLength(3);
    expect(replies.map((reply) => /<!-- rightsize:reply (\d+) -->/.exec(reply)![1]).sort()).toEqual(["701", "702", "703"]);
    expect(replies.join("\n").match(/ opened: /g)).toHaveLength(3);
    for (const pull of github.pulls) expect(github.git("rev-list", "--count", `main..refs/heads/${pull.head}`).trim()).toBe("1");
  });

  it("handle a delivery in the process that received it when Redis has gone away, so nothing is lost", async () => {
    await redis.stop();
    await replicas[0]!.app.receive("issue_comment", github.issueComment(704, "/rightsize help"), "d-4");
    const reply = github.comments.find((entry) => entry.body.includes("<!-- rightsize:reply 704 -->"));
    expect(reply?.body).toMatch(/^@alice rightsize understands these commands\./);
  });
});
