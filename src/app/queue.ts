import { randomUUID } from "node:crypto";
import { DelayedError, Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { CronExpressionParser } from "cron-parser";
import type { GitHubRepositoryInfo } from "../pipeline/index.js";
import { HourlyCounts, RecentKeys, RepositoryLocks } from "./locks.js";
import type { Telemetry } from "./telemetry.js";

/**
 * A unit of work (SPEC §10 "Scale"): one webhook delivery to handle, or one repository scan.
 * Small enough to retry whole; every one is idempotent because GitHub holds the state.
 */
export interface WorkJob {
  /** `onboard`: a repository the app was just given gets its onboarding pull request, when it has no policy. */
  kind: "event" | "scan" | "verify" | "onboard";
  /** Unique per unit of work: a repeated delivery carries the same id and is dropped. */
  id: string;
  installationId: number;
  /** `owner/repo`: one repository's jobs never run at the same time, on any replica. */
  repository: string;
  /**
   * False for work that may run beside the repository's other jobs (a comment's permission check
   * and refusal): a flood of readers' comments never holds the repository's lane.
   */
  exclusive?: boolean;
  /** A comment whose author's permission was checked: its commands run without asking again. */
  authorized?: boolean;
  event?: { name: string; id: string; payload: unknown };
  /** For a scan: the repository as the API described it (default branch, clone URL). */
  target?: Omit<GitHubRepositoryInfo, "botLogin">;
}

export type JobHandler = (job: WorkJob) => Promise<void>;

/**
 * One interface, two engines: BullMQ on Redis when REDIS_URL is set (several replicas), and an
 * in-process queue otherwise (one replica). Handlers enqueue; every replica works.
 */
export interface WorkQueue {
  enqueue(job: WorkJob): Promise<void>;
  /** A cron schedule (UTC) that enqueues `job`; upserting the same id replaces it; N replicas run it once. */
  schedule(id: string, cron: string, job: WorkJob): Promise<void>;
  unschedule(id: string): Promise<void>;
  /** True for the first claim of `key` within `milliseconds`, on any replica. */
  claim(key: string, milliseconds: number): Promise<boolean>;
  /** Adds one to a counter shared by every replica (it lives `milliseconds` from its first count) and returns the new count. */
  increment(key: string, milliseconds: number): Promise<number>;
  start(handler: JobHandler): Promise<void>;
  /** Jobs waiting (and delayed for a retry or a busy repository). */
  depth(): Promise<number>;
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface QueueOptions {
  telemetry?: Telemetry;
  /** Attempts per job before it lands in the failed set. */
  attempts?: number;
  /** First retry delay; doubles with each attempt. */
  backoffMilliseconds?: number;
  onFailed?(job: WorkJob, error: unknown): void;
  /** In-process queue: jobs waiting at most; a delivery beyond is refused (GitHub may redeliver it). */
  maxWaiting?: number;
  /** Told once per refused job when the queue is full. */
  onFull?(job: WorkJob, waiting: number): void;
}

const DEFAULT_ATTEMPTS = 5;
const DEFAULT_MAX_WAITING = 1_000;

/** The in-process queue holds as many jobs as it may: the delivery is refused, not lost silently. */
export class QueueFullError extends Error {
  constructor(readonly waiting: number) {
    super(`the work queue is full (${waiting} jobs waiting); the delivery was refused, and GitHub can redeliver it`);
  }
}
const DEFAULT_BACKOFF = 2_000;

/** The embedded default: one process, the same behaviour (dedup, per-repository order, retries, schedules). */
export class InProcessQueue implements WorkQueue {
  private readonly locks = new RepositoryLocks();
  private readonly seen = new Set<string>();
  private readonly recent = new RecentKeys();
  private readonly counts = new HourlyCounts();
  private readonly schedules = new Map<string, { cron: string; job: WorkJob; next: number }>();
  private readonly pending = new Set<Promise<void>>();
  private handler: JobHandler | undefined;
  private timer: NodeJS.Timeout | undefined;
  private waiting = 0;
  private closed = false;

  constructor(
    private readonly options: QueueOptions = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  async enqueue(job: WorkJob): Promise<void> {
    if (this.closed || this.seen.has(job.id)) return;
    if (this.waiting >= (this.options.maxWaiting ?? DEFAULT_MAX_WAITING)) {
      this.options.onFull?.(job, this.waiting);
      throw new QueueFullError(this.waiting);
    }
    this.remember(job.id);
    const enqueued = Date.now();
    this.waiting++;
    this.options.telemetry?.queueDepth.set(this.waiting);
    const work = this.attempt(job, 1).finally(() => {
      this.waiting--;
      this.options.telemetry?.queueDepth.set(this.waiting);
      this.options.telemetry?.jobSeconds.observe({ kind: job.kind }, (Date.now() - enqueued) / 1000);
      this.pending.delete(work);
    });
    this.pending.add(work);
  }

  async schedule(id: string, cron: string, job: WorkJob): Promise<void> {
    this.schedules.set(id, { cron, job, next: nextRun(cron, this.now()) });
  }

  async unschedule(id: string): Promise<void> {
    this.schedules.delete(id);
  }

  async claim(key: string, milliseconds: number): Promise<boolean> {
    return this.recent.claim(key, milliseconds);
  }

  async increment(key: string, milliseconds: number): Promise<number> {
    return this.counts.increment(key, milliseconds, this.now().getTime());
  }

  async start(handler: JobHandler): Promise<void> {
    this.handler = handler;
    this.timer ??= setInterval(() => void this.tick(), 30_000);
    this.timer.unref();
  }

  /** Enqueues every schedule that is due (the timer calls it; tests call it with their own clock). */
  async tick(): Promise<void> {
    const now = this.now();
    for (const [id, entry] of this.schedules) {
      if (entry.next > now.getTime()) continue;
      entry.next = nextRun(entry.cron, now);
      await this.enqueue({ ...entry.job, id: `${id}-${now.getTime()}` });
    }
  }

  async depth(): Promise<number> {
    return this.waiting;
  }

  async ready(): Promise<void> {}

  /** Waits for the jobs already enqueued (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.drain();
  }

  /** One attempt holds the repository's lock; the wait before the next one does not, so other work on the repository goes ahead. */
  private async attempt(job: WorkJob, attempt: number): Promise<void> {
    const attempts = this.options.attempts ?? DEFAULT_ATTEMPTS;
    try {
      const handler = this.handler;
      if (!handler) throw new Error("the queue has no handler; call start() first");
      await (job.exclusive === false ? handler(job) : this.locks.run(job.repository, () => handler(job)));
    } catch (error) {
      const retryAfter = retryAfterSeconds(error);
      if (retryAfter !== undefined) {
        // GitHub said when to come back: wait that long, and keep the attempt.
        await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
        return this.attempt(job, attempt);
      }
      this.options.telemetry?.countError(error);
      if (attempt >= attempts) {
        this.options.telemetry?.jobsFailed.inc({ kind: job.kind });
        this.options.onFailed?.(job, error);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, (this.options.backoffMilliseconds ?? DEFAULT_BACKOFF) * 2 ** (attempt - 1)));
      return this.attempt(job, attempt + 1);
    }
  }

  /** Ids of recent jobs, bounded: enough to drop a redelivery, never growing without end. */
  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > 10_000) this.seen.delete(this.seen.values().next().value!);
  }
}

/** Releases a lock only when it is still ours (it may have expired and been taken since). */
const RELEASE_LOCK = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export interface RedisQueueOptions extends QueueOptions {
  /** How long a job's lock lives without renewal; a killed replica's job is picked up after it. */
  lockMilliseconds?: number;
  concurrency?: number;
  queueName?: string;
  onConnectionError?(error: Error): void;
}

/**
 * BullMQ on Redis: jobs deduplicated by id, retried with exponential backoff, failed ones kept
 * (and counted on /metrics); a job whose repository is busy on another replica waits a moment
 * in the delayed set instead of blocking a worker; a replica that dies mid-job loses its lock
 * and another replica runs the job again.
 */
export class RedisQueue implements WorkQueue {
  private readonly connection: Redis;
  private readonly producer: Redis;
  private readonly queue: Queue<WorkJob>;
  private worker: Worker<WorkJob> | undefined;
  private readonly lockMilliseconds: number;
  private depthTimer: NodeJS.Timeout | undefined;

  constructor(
    url: string,
    private readonly options: RedisQueueOptions = {},
  ) {
    this.connection = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
    this.lockMilliseconds = options.lockMilliseconds ?? 30_000;
    // The producer fails fast when Redis is away, so a webhook handler can fall back instead of hanging.
    this.producer = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
    // ioredis reconnects by itself; an error is reported (readiness says Redis is down), not thrown.
    this.producer.on("error", (error: Error) => options.onConnectionError?.(error));
    this.connection.on("error", (error: Error) => options.onConnectionError?.(error));
    this.queue = new Queue<WorkJob>(options.queueName ?? "rightsize", {
      connection: this.producer,
      defaultJobOptions: {
        attempts: options.attempts ?? DEFAULT_ATTEMPTS,
        backoff: { type: "exponential", delay: options.backoffMilliseconds ?? DEFAULT_BACKOFF },
        // Kept for an hour so a repeated delivery finds its id; failed jobs for a week.
        removeOnComplete: { age: 3600, count: 100_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
  }

  async enqueue(job: WorkJob): Promise<void> {
    await this.queue.add(job.kind, job, { jobId: jobId(job.id) });
  }

  async schedule(id: string, cron: string, job: WorkJob): Promise<void> {
    await this.queue.upsertJobScheduler(jobId(id), { pattern: cron, tz: "UTC" }, { name: job.kind, data: job });
  }

  async unschedule(id: string): Promise<void> {
    await this.queue.removeJobScheduler(jobId(id));
  }

  async claim(key: string, milliseconds: number): Promise<boolean> {
    return (await this.producer.set(`rightsize:claim:${key}`, "1", "PX", milliseconds, "NX")) === "OK";
  }

  async increment(key: string, milliseconds: number): Promise<number> {
    const name = `rightsize:count:${key}`;
    const [[, count] = []] = (await this.producer.multi().incr(name).pexpire(name, milliseconds, "NX").exec()) ?? [];
    return Number(count);
  }

  async start(handler: JobHandler): Promise<void> {
    this.worker = new Worker<WorkJob>(
      this.queue.name,
      async (job: Job<WorkJob>, token?: string) => {
        if (job.data.exclusive === false) {
          return handler(job.data).catch((error: unknown) => {
            this.options.telemetry?.countError(error);
            throw error;
          });
        }
        const lock = `rightsize:lock:${job.data.repository}`;
        const owner = randomUUID();
        const taken = await this.connection.set(lock, owner, "PX", this.lockMilliseconds, "NX");
        if (taken !== "OK") {
          // Another replica works on this repository: try again shortly, without using an attempt.
          await job.moveToDelayed(Date.now() + 1_000 + Math.floor(Math.random() * 1_000), token);
          throw new DelayedError();
        }
        // A renewal that fails (Redis gone) lets the lock expire: another replica then takes over.
        const renewal = setInterval(() => void this.connection.pexpire(lock, this.lockMilliseconds).catch(() => undefined), this.lockMilliseconds / 3);
        try {
          await handler(job.data);
        } catch (error) {
          // GitHub said when to come back (secondary rate limit, 429): wait that long, keep the attempt.
          const retryAfter = retryAfterSeconds(error);
          if (retryAfter === undefined) {
            this.options.telemetry?.countError(error);
            throw error;
          }
          await job.moveToDelayed(Date.now() + retryAfter * 1000, token);
          throw new DelayedError();
        } finally {
          clearInterval(renewal);
          await this.connection.eval(RELEASE_LOCK, 1, lock, owner).catch(() => undefined);
        }
      },
      {
        connection: this.workerConnection(),
        concurrency: this.options.concurrency ?? 4,
        lockDuration: this.lockMilliseconds,
        stalledInterval: Math.max(1_000, this.lockMilliseconds / 2),
      },
    );
    this.worker.on("completed", (job) => this.options.telemetry?.jobSeconds.observe({ kind: job.data.kind }, (Date.now() - job.timestamp) / 1000));
    this.worker.on("failed", (job, error) => {
      if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
      this.options.telemetry?.jobsFailed.inc({ kind: job.data.kind });
      this.options.onFailed?.(job.data, error);
    });
    this.depthTimer = setInterval(() => void this.depth().then((depth) => this.options.telemetry?.queueDepth.set(depth)).catch(() => undefined), 15_000);
    this.depthTimer.unref();
    await this.worker.waitUntilReady();
  }

  private workerConnection(): Redis {
    const connection = this.connection.duplicate({ maxRetriesPerRequest: null });
    connection.on("error", (error: Error) => this.options.onConnectionError?.(error));
    return connection;
  }

  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts("waiting", "delayed", "prioritized");
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  async ready(): Promise<void> {
    await this.connection.ping();
  }

  /** The failed set, for /metrics and the operator. */
  async failed(): Promise<WorkJob[]> {
    return (await this.queue.getFailed()).map((job) => job.data);
  }

  async close(): Promise<void> {
    if (this.depthTimer) clearInterval(this.depthTimer);
    // Without Redis a graceful close would wait for it forever: stop at once instead.
    const reachable = this.connection.status === "ready";
    await this.worker?.close(!reachable);
    if (reachable) await this.queue.close();
    this.connection.disconnect();
    this.producer.disconnect();
  }

  /** Stops working at once, as a replica that is killed would (tests). */
  async crash(): Promise<void> {
    if (this.depthTimer) clearInterval(this.depthTimer);
    await this.worker?.close(true);
    this.connection.disconnect();
    this.producer.disconnect();
  }
}

/** BullMQ ids may not contain ":"; delivery ids and repository names may. */
function jobId(id: string): string {
  return id.replaceAll(":", "_");
}

/** The next time a cron expression (UTC) fires after `after`, in epoch milliseconds. */
export function nextRun(cron: string, after: Date): number {
  return CronExpressionParser.parse(cron, { currentDate: after, tz: "UTC" }).next().getTime();
}

/** GitHub's Retry-After (secondary rate limits, 429), in seconds, from a failed call or its cause. */
export function retryAfterSeconds(error: unknown): number | undefined {
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    const { status, response } = current as { status?: number; response?: { headers?: Record<string, string | undefined> } };
    const header = response?.headers?.["retry-after"];
    if ((status === 403 || status === 429) && header !== undefined && Number.isFinite(Number(header))) return Math.min(Number(header), 3_600);
  }
  return undefined;
}
