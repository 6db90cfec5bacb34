import type { IncomingMessage, ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { RightsizeError } from "../domain/index.js";

/**
 * The bot's own telemetry (SPEC §10): Prometheus metrics on /metrics, and the probes /healthz
 * (the process is up) and /readyz (it can reach GitHub, and Redis when configured).
 */
export class Telemetry {
  readonly registry = new Registry();
  readonly scans = new Counter({ name: "rightsize_scans_total", help: "Repository scans, by outcome (ok, unchanged: nothing to do since the last scan, paused, onboarding, policy-invalid, failed).", labelNames: ["outcome"], registers: [this.registry] });
  readonly proposals = new Counter({ name: "rightsize_proposals_total", help: "Proposals written or skipped, by outcome (created, updated, unchanged, declined, …).", labelNames: ["outcome"], registers: [this.registry] });
  readonly commands = new Counter({ name: "rightsize_commands_total", help: "Slash commands, by command and result (ok; declined: it did nothing and the reply says why; refused: the commenter may not steer; failed).", labelNames: ["command", "result"], registers: [this.registry] });
  readonly errors = new Counter({ name: "rightsize_errors_total", help: "Errors, by kind (the error code: USAGE, INPUT, REFUSED, EXTERNAL, or UNEXPECTED).", labelNames: ["kind"], registers: [this.registry] });
  readonly stageSeconds = new Histogram({
    name: "rightsize_stage_duration_seconds",
    help: "Time spent per pipeline stage (observe, plan, propose).",
    labelNames: ["stage"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  /**
   * Per rate-limit resource (core, search, graphql, …, GitHub's x-ratelimit-resource): one window's
   * number would otherwise be overwritten by another's. Labelled, so there is no sample until a
   * response carried the headers: GitHub Enterprise Server with rate limiting off sends none, and
   * an unlabelled gauge reads 0 there, an alert that is false.
   */
  readonly rateLimitRemaining = new Gauge({
    name: "rightsize_github_rate_limit_remaining",
    help: "GitHub API requests left in the current window, per rate-limit resource, as the last response with rate-limit headers said; absent when GitHub sends none.",
    labelNames: ["resource"],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: "rightsize_queue_depth", help: "Jobs waiting in the work queue.", registers: [this.registry] });
  readonly jobSeconds = new Histogram({
    name: "rightsize_job_latency_seconds",
    help: "From enqueue to done, per job kind.",
    labelNames: ["kind"],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [this.registry],
  });
  readonly jobsFailed = new Counter({ name: "rightsize_jobs_failed_total", help: "Jobs that failed after their last retry, per job kind.", labelNames: ["kind"], registers: [this.registry] });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "rightsize_" });
  }

  /** Records the GitHub rate limit from a response's headers; a response without them changes nothing. */
  observeResponse(headers: Record<string, string | number | undefined>): void {
    const header = headers["x-ratelimit-remaining"];
    // Number("") and Number(null) are 0: only a header with digits is a count.
    if (header === undefined || header === null || !/^\s*\d+\s*$/.test(String(header))) return;
    const resource = String(headers["x-ratelimit-resource"] ?? "core");
    this.rateLimitRemaining.set({ resource: /^[a-z_]{1,32}$/.test(resource) ? resource : "other" }, Number(header));
  }

  /** An error that reached the top of a job or a command: counted by its code (a TypeError is UNEXPECTED). */
  countError(error: unknown): void {
    this.errors.inc({ kind: error instanceof RightsizeError ? error.code : "UNEXPECTED" });
  }
}

export type ReadinessCheck = () => Promise<void>;

/**
 * GET /metrics, /healthz and /readyz, added to Probot's server. Readiness runs each check (with
 * its own timeout) and names what failed, so a probe's message says what to fix.
 */
export function operationsHandler(telemetry: Telemetry, checks: Record<string, ReadinessCheck>) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    if (request.method !== "GET") return false;
    const path = (request.url ?? "").split("?")[0];
    if (path === "/metrics") {
      response.writeHead(200, { "content-type": telemetry.registry.contentType }).end(await telemetry.registry.metrics());
      return true;
    }
    if (path === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return true;
    }
    if (path === "/readyz") {
      const failures: string[] = [];
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), 5_000, `${name} did not answer within 5 s`);
          } catch (error) {
            failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }),
      );
      response.writeHead(failures.length === 0 ? 200 : 503, { "content-type": "text/plain" }).end(failures.length === 0 ? "ready\n" : `not ready\n${failures.sort().join("\n")}\n`);
      return true;
    }
    return false;
  };
}

function withTimeout<T>(promise: Promise<T>, milliseconds: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), milliseconds)))]).finally(() => clearTimeout(timer));
}
