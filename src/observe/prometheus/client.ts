import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import zlib from "node:zlib";
import { ExternalError, InputError } from "../../domain/index.js";

export interface PrometheusSourceOptions {
  /** Base URL, with any path prefix (`https://example.org/prometheus`). */
  url: string;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  tls?: { insecureSkipVerify?: boolean; caFile?: string };
  /** Per query, also sent to Prometheus so it gives up on the server side too. Default 30. */
  timeoutSeconds?: number;
  /** Attempts after the first for timeouts, 429, 5xx and connection failures. Default 3. */
  retries?: number;
  /** First backoff delay; doubles with every retry. Default 500. */
  retryDelayMilliseconds?: number;
  /** Replaces the built-in HTTP transport (the TLS options then do not apply). */
  fetch?: typeof fetch;
}

export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface QueryResult<T> {
  result: T[];
  /** Prometheus' own warnings, e.g. partial data from a federated store. */
  warnings: string[];
}

/**
 * A failure that concerns the data asked for rather than the server as a whole: an access
 * proxy refusing a namespace (403) or a query too heavy to finish in time. The caller turns it
 * into a per-namespace or per-workload problem; everything else is an ExternalError.
 */
export class QueryProblem extends Error {
  constructor(
    message: string,
    readonly kind: "forbidden" | "timeout",
  ) {
    super(message);
    this.name = "QueryProblem";
  }
}

interface HttpAnswer {
  status: number;
  body: string;
}

type Transport = (url: URL, form: URLSearchParams, headers: Record<string, string>, timeoutMilliseconds: number) => Promise<HttpAnswer>;

class TransientFailure extends Error {
  constructor(
    message: string,
    readonly kind: "timeout" | "server" | "network",
  ) {
    super(message);
  }
}

/**
 * The Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`). Queries are POSTed as forms
 * because the batched queries are long. Credentials only ever live in request headers, never in
 * messages.
 */
export class PrometheusClient {
  private readonly displayUrl: string;
  private readonly base: URL;
  private readonly headers: Record<string, string>;
  private readonly transport: Transport;
  private readonly timeoutSeconds: number;
  private readonly retries: number;
  private readonly retryDelay: number;
  /** Credentials and the header made of them, never to appear in a message. */
  private readonly secrets: string[];

  constructor(options: PrometheusSourceOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new InputError(`Prometheus URL "${options.url}" is not a URL; expected e.g. http://prometheus.monitoring:9090`, { field: "prometheus.url" });
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new InputError(`Prometheus URL "${options.url}" must use http or https`, { field: "prometheus.url" });
    }
    this.headers = { accept: "application/json" };
    const basicAuth = options.basicAuth ?? (base.username ? { username: decodeURIComponent(base.username), password: decodeURIComponent(base.password) } : undefined);
    base.username = "";
    base.password = "";
    if (!base.pathname.endsWith("/")) base.pathname = `${base.pathname}/`;
    this.base = base;
    this.displayUrl = base.toString().replace(/\/$/, "");
    if (options.bearerToken) this.headers.authorization = `Bearer ${options.bearerToken}`;
    else if (basicAuth) this.headers.authorization = `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString("base64")}`;
    const credentials = options.bearerToken ? [options.bearerToken] : basicAuth ? [basicAuth.username, basicAuth.password] : [];
    // Longest first, so a header value is redacted whole before the token inside it.
    this.secrets = [this.headers.authorization, ...credentials].filter((secret): secret is string => Boolean(secret)).sort((a, b) => b.length - a.length);
    this.timeoutSeconds = options.timeoutSeconds ?? 30;
    this.retries = options.retries ?? 3;
    this.retryDelay = options.retryDelayMilliseconds ?? 500;
    this.transport = options.fetch ? fetchTransport(options.fetch) : nodeTransport(base, options.tls);
  }

  async query(expression: string, time: number): Promise<QueryResult<InstantSample>> {
    const answer = await this.call("api/v1/query", expression, { time: String(time) });
    return { result: expectResult<InstantSample>(answer.data, "vector", this.displayUrl), warnings: answer.warnings };
  }

  async queryRange(expression: string, range: { start: number; end: number; step: number }): Promise<QueryResult<RangeSeries>> {
    const answer = await this.call("api/v1/query_range", expression, { start: String(range.start), end: String(range.end), step: String(range.step) });
    return { result: expectResult<RangeSeries>(answer.data, "matrix", this.displayUrl), warnings: answer.warnings };
  }

  private async call(path: string, expression: string, parameters: Record<string, string>): Promise<{ data: unknown; warnings: string[] }> {
    const form = new URLSearchParams({ query: expression, ...parameters, timeout: String(this.timeoutSeconds) });
    const url = new URL(path, this.base);
    let lastFailure: TransientFailure | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await delay(this.retryDelay * 2 ** (attempt - 1));
      try {
        return this.interpret(await this.send(url, form), expression);
      } catch (error) {
        if (!(error instanceof TransientFailure)) throw error;
        lastFailure = error;
      }
    }
    const attempts = `${this.retries + 1} attempt${this.retries === 0 ? "" : "s"}`;
    if (lastFailure?.kind === "timeout") throw new QueryProblem(`Prometheus query timed out (${lastFailure.message}, ${attempts})`, "timeout");
    if (lastFailure?.kind === "network") {
      throw new ExternalError(`Prometheus at ${this.displayUrl} is unreachable: ${lastFailure.message} (${attempts}); check the URL and that Prometheus is running`);
    }
    throw new ExternalError(`Prometheus at ${this.displayUrl} failed: ${lastFailure?.message ?? "no answer"} (${attempts})`);
  }

  private redact(text: string): string {
    let redacted = text;
    for (const secret of this.secrets) if (redacted.includes(secret)) redacted = redacted.replaceAll(secret, "[redacted]");
    return redacted;
  }

  private async send(url: URL, form: URLSearchParams): Promise<HttpAnswer> {
    try {
      return await this.transport(url, form, this.headers, this.timeoutSeconds * 1000);
    } catch (error) {
      if (error instanceof TransientFailure) throw error;
      if (isCertificateError(error)) {
        throw new ExternalError(
          `Prometheus at ${this.displayUrl} presented a certificate that is not trusted (${describeNetworkError(error)}); pass its CA with --ca-file (policy: tls.caFile) or, for testing only, --insecure-skip-tls-verify`,
        );
      }
      throw new TransientFailure(describeNetworkError(error), "network");
    }
  }

  private interpret(answer: HttpAnswer, expression: string): { data: unknown; warnings: string[] } {
    const body = parseBody(answer.body);
    // Error texts and warnings reach messages, snapshots and pull requests; a proxy that echoes
    // the request's Authorization header must not put the credentials there. (The data is left
    // alone: a username may well be a word that also names a namespace.)
    const serverError = body && typeof body.error === "string" ? this.redact(`${String(body.errorType ?? "error")}: ${body.error}`) : undefined;
    if (answer.status === 503 && body?.errorType === "timeout") throw new TransientFailure(`Prometheus gave up after ${this.timeoutSeconds}s`, "timeout");
    if (answer.status === 429 || answer.status >= 500) throw new TransientFailure(`HTTP ${answer.status}${serverError ? ` (${serverError})` : ""}`, "server");
    if (answer.status === 401) {
      throw new ExternalError(
        `Prometheus at ${this.displayUrl} rejected the credentials (HTTP 401); set RIGHTSIZE_PROMETHEUS_TOKEN or RIGHTSIZE_PROMETHEUS_USERNAME/PASSWORD (or the policy's bearerTokenEnv/basicAuth)`,
      );
    }
    if (answer.status === 403) throw new QueryProblem(`Prometheus refused the query (HTTP 403${serverError ? `: ${serverError}` : ""}); the credentials may not grant this namespace`, "forbidden");
    if (answer.status === 404) {
      throw new ExternalError(`Prometheus at ${this.displayUrl} has no query API (HTTP 404); check the URL and its path prefix (it should be the address that serves /api/v1/query)`);
    }
    if (body === undefined) {
      throw new ExternalError(`Prometheus at ${this.displayUrl} answered HTTP ${answer.status} with malformed JSON (${excerpt(this.redact(answer.body))}); is the URL a Prometheus API?`);
    }
    if (answer.status !== 200 || body.status !== "success") {
      throw new ExternalError(`Prometheus at ${this.displayUrl} rejected a query with HTTP ${answer.status} (${serverError ?? "no error message"}): ${excerpt(expression, 200)}`);
    }
    const warnings = Array.isArray(body.warnings) ? body.warnings.map((warning) => this.redact(String(warning))) : [];
    return { data: body.data, warnings };
  }
}

function expectResult<T>(data: unknown, resultType: string, url: string): T[] {
  const record = data as { resultType?: unknown; result?: unknown } | undefined;
  if (record?.resultType !== resultType || !Array.isArray(record.result)) {
    throw new ExternalError(`Prometheus at ${url} answered with an unexpected result (expected a ${resultType}); is the URL a Prometheus API?`);
  }
  return record.result as T[];
}

function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function excerpt(text: string, length = 80): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${JSON.stringify(flat.slice(0, length))}…` : JSON.stringify(flat);
}

function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown; cause?: { code?: unknown } }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${code} ${message}` : message;
}

function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME_MISMATCH/.test(code);
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function nodeTransport(base: URL, tls: PrometheusSourceOptions["tls"]): Transport {
  const secure = base.protocol === "https:";
  let ca: Buffer | undefined;
  if (secure && tls?.caFile) {
    try {
      ca = readFileSync(tls.caFile);
    } catch (error) {
      throw new InputError(`Prometheus CA file ${tls.caFile} cannot be read: ${(error as Error).message}`, { file: tls.caFile, field: "prometheus.tls.caFile" });
    }
  }
  const agent = secure ? new https.Agent({ keepAlive: true, rejectUnauthorized: !tls?.insecureSkipVerify, ...(ca ? { ca } : {}) }) : new http.Agent({ keepAlive: true });
  const request = secure ? https.request : http.request;
  return (url, form, headers, timeoutMilliseconds) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const body = form.toString();
      const outgoing = request(
        url,
        {
          method: "POST",
          agent,
          // Usage answers are tens of megabytes of JSON; compressed they are a fifth of that on the wire.
          headers: { ...headers, "accept-encoding": "gzip", "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          const encoding = String(response.headers["content-encoding"] ?? "").toLowerCase();
          const decoded = encoding === "gzip" ? response.pipe(zlib.createGunzip()) : encoding === "deflate" ? response.pipe(zlib.createInflate()) : response;
          const fail = (error: Error) => {
            clearTimeout(timer);
            reject(error);
          };
          decoded.on("data", (chunk: Buffer) => chunks.push(chunk));
          decoded.on("end", () => {
            clearTimeout(timer);
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
          });
          decoded.on("error", fail);
          if (decoded !== response) response.on("error", fail);
        },
      );
      const timer = setTimeout(() => outgoing.destroy(new TransientFailure(`no answer within ${timeoutMilliseconds / 1000}s`, "timeout")), timeoutMilliseconds);
      outgoing.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      outgoing.end(body);
    });
}

function fetchTransport(fetchImplementation: typeof fetch): Transport {
  return async (url, form, headers, timeoutMilliseconds) => {
    const signal = AbortSignal.timeout(timeoutMilliseconds);
    try {
      const response = await fetchImplementation(url, {
        method: "POST",
        headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        signal,
      });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      if (signal.aborted) throw new TransientFailure(`no answer within ${timeoutMilliseconds / 1000}s`, "timeout");
      throw error;
    }
  };
}
