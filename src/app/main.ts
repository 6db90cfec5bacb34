import { ProbotOctokit, run, type Probot } from "probot";
import { formatLocation, InputError, RightsizeError } from "../domain/index.js";
import { loadOperatorClusters } from "../pipeline/index.js";
import { rightsizeApp } from "./index.js";
import { createLogger } from "./logger.js";
import { RepositoryLocks } from "./locks.js";
import { appBotLogin, type AppDependencies } from "./runtime.js";
import { InProcessQueue, RedisQueue, type WorkJob, type WorkQueue } from "./queue.js";
import { startWork } from "./schedules.js";
import { readOperatorSettings } from "./settings.js";
import { operationsHandler, Telemetry } from "./telemetry.js";
import { DEFAULT_WEBHOOK_MAX_BYTES, webhookHandler } from "./webhooks.js";

/**
 * `npm start`: Probot's server, configured only by its environment variables (APP_ID,
 * PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, LOG_LEVEL, GHE_HOST, GHE_PROTOCOL,
 * WEBHOOK_PROXY_URL), the operator's clusters file (RIGHTSIZE_CLUSTERS_FILE) and settings for every
 * repository (RIGHTSIZE_PAUSE, RIGHTSIZE_ONBOARDING, RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR,
 * RIGHTSIZE_SCHEDULE_SPREAD: src/app/settings.ts). Adds /metrics,
 * /healthz and /readyz to Probot's server.
 */
async function main(): Promise<void> {
  const clustersFile = process.env.RIGHTSIZE_CLUSTERS_FILE;
  const clusters = clustersFile ? await loadOperatorClusters(clustersFile) : undefined;
  const maxBytes = webhookMaxBytes();
  const settings = readOperatorSettings(process.env);
  const telemetry = new Telemetry();
  const log = await createLogger(process.env, clusters);
  // With REDIS_URL, replicas share one BullMQ queue (and Probot shares the rate limit through it).
  const onFailed = (job: WorkJob, error: unknown) => log.error({ err: error, job: job.id, repository: job.repository }, "a job failed after its last retry");
  const queue: WorkQueue = process.env.REDIS_URL ? new RedisQueue(process.env.REDIS_URL, { telemetry, onFailed, onConnectionError: redisErrorLogger(log) }) : new InProcessQueue({ telemetry, onFailed, onFull: queueFullLogger(log) });
  let botLogin: (() => Promise<string>) | undefined;
  const deps: AppDependencies = {
    clusters,
    settings,
    readOrganizationPolicy: true,
    now: () => new Date(),
    locks: new RepositoryLocks(),
    telemetry,
    queue,
    botLogin: () => botLogin?.() ?? Promise.reject(new Error("the app is not loaded yet")),
  };
  // Every GitHub response tells how much of the rate limit is left.
  const Octokit = ProbotOctokit.plugin((octokit) => {
    octokit.hook.after("request", (response) => telemetry.observeResponse(response.headers as Record<string, string>));
  });
  await run(
    (app, options) => {
      botLogin = appBotLogin(app);
      if (!clusters) app.log.warn("RIGHTSIZE_CLUSTERS_FILE is not set: rightsize answers commands but observes no cluster");
      options.addHandler(webhookHandler(app, { path: WEBHOOK_PATH, secret: process.env.WEBHOOK_SECRET ?? "development", maxBytes, log }));
      options.addHandler(operationsHandler(telemetry, { github: gitHubReachable(app), ...(process.env.REDIS_URL ? { redis: () => queue.ready() } : {}) }));
      void startWork(app, deps, queue).catch((error: unknown) => app.log.error({ err: error }, "the workers could not start"));
      return rightsizeApp(deps)(app, options);
    },
    // Probot's own webhook middleware listens on a path no request can have (it lacks the leading
    // slash): deliveries reach rightsize's endpoint above, which bounds and verifies them first.
    { log, Octokit, env: { ...process.env, WEBHOOK_PATH: "rightsize-verifies-webhooks-itself" } },
  );
}

/** GitHub's documented webhook path; deployments point their app at it. */
const WEBHOOK_PATH = "/api/github/webhooks";

function webhookMaxBytes(): number {
  const text = process.env.RIGHTSIZE_WEBHOOK_MAX_BYTES;
  if (text === undefined) return DEFAULT_WEBHOOK_MAX_BYTES;
  const bytes = Number(text);
  if (!Number.isInteger(bytes) || bytes < 1024) throw new InputError(`RIGHTSIZE_WEBHOOK_MAX_BYTES is "${text}"; set a whole number of bytes, at least 1024 (default ${DEFAULT_WEBHOOK_MAX_BYTES})`);
  return bytes;
}

/** Redis connection errors, at most one line a minute (ioredis retries every few hundred milliseconds). */
function redisErrorLogger(log: { warn(object: object, message: string): void }): (error: Error) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < 60_000) return;
    last = Date.now();
    log.warn({ err: error }, "Redis is unreachable; deliveries are handled in the process that receives them until it is back");
  };
}

/** A full in-process queue, said at most every ten seconds with how many deliveries it refused meanwhile. */
function queueFullLogger(log: { warn(object: object, message: string): void }): (job: WorkJob, waiting: number) => void {
  let last = 0;
  let refused = 0;
  return (job, waiting) => {
    refused++;
    if (Date.now() - last < 10_000) return;
    log.warn({ waiting, refused, repository: job.repository }, `the work queue is full (${waiting} jobs waiting): ${refused} deliveries refused with 503 since the last notice; GitHub can redeliver them`);
    last = Date.now();
    refused = 0;
  };
}

/** Readiness: the app can authenticate to GitHub (checked at most every 30 s). */
function gitHubReachable(app: Probot): () => Promise<void> {
  let checkedAt = 0;
  return async () => {
    if (Date.now() - checkedAt < 30_000) return;
    const octokit = await app.auth();
    await octokit.request("GET /app");
    checkedAt = Date.now();
  };
}

main().catch((error: unknown) => {
  if (error instanceof RightsizeError) {
    const where = formatLocation(error.location);
    process.stderr.write(`rightsize: ${where && !error.message.startsWith(where) ? `${where}: ` : ""}${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`rightsize: the server could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
