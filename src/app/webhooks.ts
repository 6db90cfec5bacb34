import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Probot } from "probot";
import { QueueFullError } from "./queue.js";

/**
 * The webhook endpoint, in front of Probot (SPEC §9, untrusted senders): the body is read up to
 * a limit and its signature checked before anything is parsed or logged; a delivery that is too
 * large, unsigned or wrongly signed is refused at once and leaves one short log line without its
 * payload. A verified delivery goes to Probot's `receive`, as its own middleware would send it.
 */
export interface WebhookEndpoint {
  /** Where GitHub posts: `/api/github/webhooks`. */
  path: string;
  secret: string;
  /** The largest body read; GitHub caps payloads at 25 MB, rightsize's events are far smaller. */
  maxBytes: number;
  log: { info(object: object, message: string): void; warn(object: object, message: string): void };
}

/** 5 MiB: a push of 20 commits or a repository listing of an installation is well under 1 MiB. */
export const DEFAULT_WEBHOOK_MAX_BYTES = 5 * 1024 * 1024;

/** GitHub expects an answer within 10 seconds; longer work goes on after a 202. */
const ANSWER_WITHIN_MS = 9_000;

type Refusal = { status: number; reason: string };

export function webhookHandler(app: Pick<Probot, "receive">, endpoint: WebhookEndpoint): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  return async (request, response) => {
    if (new URL(request.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "") !== endpoint.path) return false;
    const delivery = { id: header(request, "x-github-delivery"), event: header(request, "x-github-event") };
    const refuse = ({ status, reason }: Refusal) => {
      endpoint.log.info({ ...delivery, status }, `refused a webhook delivery: ${reason}`);
      answer(response, status, { error: reason });
      // The rest of a refused body is discarded as it arrives, never kept; the connection closes after it.
      if (!request.complete) request.resume();
      return true;
    };
    if (request.method !== "POST") return refuse({ status: 405, reason: "webhooks are POSTed" });
    const signature = header(request, "x-hub-signature-256");
    if (!delivery.id || !delivery.event || !signature) return refuse({ status: 400, reason: "the X-GitHub-Delivery, X-GitHub-Event and X-Hub-Signature-256 headers are required" });
    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > endpoint.maxBytes) return refuse(tooLarge(endpoint.maxBytes));
    const body = await readBounded(request, endpoint.maxBytes);
    if ("status" in body) return refuse(body);
    if (!matches(endpoint.secret, body.bytes, signature)) return refuse({ status: 401, reason: "the signature does not match the body and the webhook secret" });
    let payload: unknown;
    try {
      payload = JSON.parse(body.bytes.toString("utf8"));
    } catch {
      return refuse({ status: 400, reason: "the body is not JSON" });
    }
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return refuse({ status: 400, reason: "the body is not a JSON object" });
    await deliver(app, endpoint, response, { id: delivery.id, name: delivery.event, payload });
    return true;
  };
}

async function deliver(app: Pick<Probot, "receive">, endpoint: WebhookEndpoint, response: ServerResponse, event: { id: string; name: string; payload: object }): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), ANSWER_WITHIN_MS)));
  const handled = app.receive(event as Parameters<Probot["receive"]>[0]).then(
    () => "done" as const,
    (error: unknown) => error,
  );
  const first = await Promise.race([handled, late]);
  clearTimeout(timer);
  if (first === "late") {
    answer(response, 202, { status: "still processing" });
    return;
  }
  if (first === "done") {
    answer(response, 200, { status: "ok" });
    return;
  }
  if (causes(first).some((cause) => cause instanceof QueueFullError)) {
    endpoint.log.warn({ id: event.id, event: event.name }, "refused a webhook delivery: the work queue is full");
    answer(response, 503, { error: "rightsize is busy; redeliver later" }, { "retry-after": "60" });
    return;
  }
  // Probot has logged the failure; GitHub shows the delivery as failed and it can be redelivered.
  answer(response, 500, { error: "the delivery failed; see the server's log" });
}

function readBounded(request: IncomingMessage, maxBytes: number): Promise<{ bytes: Buffer } | Refusal> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.removeAllListeners("data");
        chunks.length = 0;
        resolve(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve({ bytes: Buffer.concat(chunks) }));
    request.on("error", () => resolve({ status: 400, reason: "the body could not be read" }));
  });
}

function tooLarge(maxBytes: number): Refusal {
  return { status: 413, reason: `the body is larger than ${maxBytes} bytes (RIGHTSIZE_WEBHOOK_MAX_BYTES)` };
}

/** GitHub's `sha256=<hex HMAC of the body>`, compared in constant time. */
function matches(secret: string, body: Buffer, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  response.writeHead(status, { "content-type": "application/json", ...headers, connection: status >= 400 ? "close" : "keep-alive" }).end(JSON.stringify(body));
}

/** An error and its causes, AggregateError members included (Probot aggregates handler errors). */
function causes(error: unknown): unknown[] {
  const found: unknown[] = [];
  const visit = (current: unknown) => {
    if (!current || found.includes(current)) return;
    found.push(current);
    if (current instanceof AggregateError) current.errors.forEach(visit);
    visit((current as { cause?: unknown }).cause);
  };
  visit(error);
  return found;
}
