import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InProcessQueue, nextRun, RedisQueue, retryAfterSeconds, type WorkJob } from "../../src/app/queue.js";
import { unscheduleRepositories } from "../../src/app/schedules.js";
import { Telemetry } from "../../src/app/telemetry.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";

const job = (id: string, repository = "acme/a"): WorkJob => ({ kind: "event", id, installationId: 2, repository });
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Runs jobs and records, per repository, whether two ever overlapped. */
function recorder(duration = 30) {
  const done: string[] = [];
  const running = new Set<string>();
  const overlaps: string[] = [];
  const handler = async (work: WorkJob) => {
    if (running.has(work.repository)) overlaps.push(work.id);
    running.add(work.repository);
    await sleep(duration);
    running.delete(work.repository);
    done.push(work.id);
  };
  return { done, overlaps, handler };
}

describe("the in-process queue (one replica)", () => {
  it("drops a repeated delivery, keeps one repository's jobs in order and never concurrent", async () => {
    const queue = new InProcessQueue();
    const { done, overlaps, handler } = recorder();
    await queue.start(handler);
    for (const id of ["1", "2", "1", "3"]) await queue.enqueue(job(id));
    await queue.enqueue(job("4", "acme/b"));
    await queue.drain();
    expect(done.filter((id) => id !== "4")).toEqual(["1", "2", "3"]);
    expect(done).toContain("4");
    expect(overlaps).toEqual([]);
    await queue.close();
  });

  it("retries with backoff, then counts the job as failed", async () => {
    const telemetry = new Telemetry({ defaultMetrics: false });
    const failures: string[] = [];
    const queue = new InProcessQueue({ telemetry, attempts: 3, backoffMilliseconds: 5, onFailed: (work, error) => failures.push(`${work.id}: ${(error as Error).message}`) });
    let attempts = 0;
    await queue.start(async () => {
      attempts++;
      throw new Error("GitHub answered 502");
    });
    await queue.enqueue(job("x"));
    await queue.drain();
    expect(attempts).toBe(3);
    expect(failures).toEqual(["x: GitHub answered 502"]);
    expect((await telemetry.jobsFailed.get()).values).toEqual([{ labels: { kind: "event" }, value: 1 }]);
    await queue.close();
  });

  it("lets another job of the same repository run while a failed one waits for its retry", async () => {
    const queue = new InProcessQueue({ attempts: 2, backoffMilliseconds: 300 });
    const order: string[] = [];
    await queue.start(async (work) => {
      order.push(work.id);
      if (work.id === "flaky" && order.filter((id) => id === "flaky").length === 1) throw new Error("GitHub answered 502");
    });
    await queue.enqueue(job("flaky"));
    await queue.enqueue(job("next"));
    await queue.drain();
    expect(order).toEqual(["flaky", "next", "flaky"]);
    await queue.close();
  });

  it("honours GitHub's Retry-After without spending an attempt", async () => {
    const queue = new InProcessQueue({ attempts: 1 });
    const calls: number[] = [];
    await queue.start(async () => {
      calls.push(Date.now());
      if (calls.length === 1) throw Object.assign(new Error("You have exceeded a secondary rate limit"), { status: 403, response: { headers: { "retry-after": "1" } } });
    });
    await queue.enqueue(job("limited"));
    await queue.drain();
    expect(calls).toHaveLength(2);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(1_000);
    await queue.close();
  });

  it("enqueues a scheduled scan when its cron is due, once per due time", async () => {
    let now = new Date("2026-11-23T05:59:00Z");
    const queue = new InProcessQueue({}, () => now);
    const { done, handler } = recorder(1);
    await queue.start(handler);
    await queue.schedule("scan-acme/a", "0 6 * * 1", { kind: "scan", id: "scan-acme/a", installationId: 2, repository: "acme/a" });
    await queue.tick();
    await queue.drain();
    expect(done).toEqual([]);
    now = new Date("2026-11-23T06:00:10Z");
    await queue.tick();
    await queue.tick();
    await queue.drain();
    expect(done).toEqual([`scan-acme/a-${now.getTime()}`]);
    expect(new Date(nextRun("0 6 * * 1", now)).toISOString()).toBe("2026-11-30T06:00:00.000Z");
    await queue.close();
  });
});

describe("Retry-After", () => {
  it("is read from a failed call, or from the cause of the error that wraps it", () => {
    const limited = Object.assign(new Error("secondary rate limit"), { status: 403, response: { headers: { "retry-after": "30" } } });
    expect(retryAfterSeconds(limited)).toBe(30);
    expect(retryAfterSeconds(new Error("GitHub: could not open the pull request", { cause: limited }))).toBe(30);
    expect(retryAfterSeconds(Object.assign(new Error("not found"), { status: 404 }))).toBeUndefined();
    expect(retryAfterSeconds(Object.assign(new Error("forbidden"), { status: 403, response: { headers: {} } }))).toBeUndefined();
  });
});

describe("the Redis queue (several replicas, BullMQ on a real Redis)", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("runs each job of a burst exactly once across two replicas, one repository at a time", async () => {
    const name = "burst";
    const first = new RedisQueue(redis.url, { queueName: name, lockMilliseconds: 5_000 });
    const second = new RedisQueue(redis.url, { queueName: name, lockMilliseconds: 5_000 });
    const { done, overlaps, handler } = recorder(40);
    await first.start(handler);
    await second.start(handler);
    const ids = Array.from({ length: 24 }, (_, index) => `delivery-${index}`);
    // Every delivery arrives twice, at both replicas: the second copy is dropped by its id.
    await Promise.all(ids.flatMap((id, index) => [first.enqueue(job(id, `acme/r${index % 3}`)), second.enqueue(job(id, `acme/r${index % 3}`))]));
    const deadline = Date.now() + 30_000;
    while (done.length < ids.length && Date.now() < deadline) await sleep(100);
    await sleep(300);
    expect([...done].sort()).toEqual([...ids].sort());
    expect(overlaps).toEqual([]);
    await first.close();
    await second.close();
  });

  it("retries the job of a replica that dies mid-job on the other replica", async () => {
    const name = "crash";
    const doomed = new RedisQueue(redis.url, { queueName: name, lockMilliseconds: 1_500 });
    const survivor = new RedisQueue(redis.url, { queueName: name, lockMilliseconds: 1_500 });
    const ranOn: string[] = [];
    let started!: () => void;
    const startedOnDoomed = new Promise<void>((resolve) => (started = resolve));
    await doomed.start(async () => {
      ranOn.push("doomed");
      started();
      await sleep(60_000);
    });
    await doomed.enqueue(job("long"));
    await startedOnDoomed;
    await doomed.crash();
    await survivor.start(async (work) => void ranOn.push(`survivor:${work.id}`));
    const deadline = Date.now() + 30_000;
    while (!ranOn.includes("survivor:long") && Date.now() < deadline) await sleep(100);
    expect(ranOn).toEqual(["doomed", "survivor:long"]);
    await survivor.close();
  });

  it("keeps a job that fails every attempt in the failed set and counts it", async () => {
    const telemetry = new Telemetry({ defaultMetrics: false });
    const queue = new RedisQueue(redis.url, { queueName: "failing", attempts: 2, backoffMilliseconds: 50, telemetry });
    await queue.start(async () => {
      throw new Error("Prometheus timed out");
    });
    await queue.enqueue(job("doomed-job"));
    const deadline = Date.now() + 20_000;
    while ((await queue.failed()).length === 0 && Date.now() < deadline) await sleep(100);
    expect((await queue.failed()).map((failed) => failed.id)).toEqual(["doomed-job"]);
    expect((await telemetry.jobsFailed.get()).values).toEqual([{ labels: { kind: "event" }, value: 1 }]);
    // Each failed attempt is an error, of no rightsize kind: UNEXPECTED.
    expect((await telemetry.errors.get()).values).toEqual([{ labels: { kind: "UNEXPECTED" }, value: 2 }]);
    await queue.close();
  });

  it("keeps one scheduler per repository however many replicas upsert it", async () => {
    const replicas = [new RedisQueue(redis.url, { queueName: "schedules" }), new RedisQueue(redis.url, { queueName: "schedules" })];
    for (const replica of replicas) await replica.schedule("scan-acme/a", "0 6 * * 1", { kind: "scan", id: "scan-acme/a", installationId: 2, repository: "acme/a" });
    const inspector = new Queue("schedules", { connection: { url: redis.url } });
    const schedulers = await inspector.getJobSchedulers();
    expect(schedulers.map((scheduler) => [scheduler.key, scheduler.pattern, scheduler.tz])).toEqual([["scan-acme/a", "0 6 * * 1", "UTC"]]);
    await inspector.close();
    for (const replica of replicas) await replica.close();
  });

  it("removes a repository's scan and daily check when the app loses it, and keeps the others", async () => {
    const queue = new RedisQueue(redis.url, { queueName: "removals" });
    for (const key of ["acme/a", "acme/b"]) {
      await queue.schedule(`scan-${key}`, "0 6 * * 1", { kind: "scan", id: `scan-${key}`, installationId: 2, repository: key });
      await queue.schedule(`verify-${key}`, "0 7 * * *", { kind: "verify", id: `verify-${key}`, installationId: 2, repository: key });
    }
    await unscheduleRepositories(queue, ["acme/a"]);
    const inspector = new Queue("removals", { connection: { url: redis.url } });
    expect((await inspector.getJobSchedulers()).map((scheduler) => scheduler.key).sort()).toEqual(["scan-acme/b", "verify-acme/b"]);
    await inspector.close();
    await queue.close();
  });
});
