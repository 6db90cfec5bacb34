import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import zlib from "node:zlib";
import { ExternalError, InputError } from "../../domain/index.js";
import type { ClusterScope } from "./queries.js";

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
  /** Further request headers: a tenant (Mimir's X-Scope-OrgID), a proxy's key. Their values never appear in messages. */
  headers?: Record<string, string>;
  /** Signs or authorises each request (AWS SigV4, Google or Azure tokens); see src/observe/auth. */
  authorizer?: RequestAuthorizer;
  /** Longest query text, in characters: batches are cut so that no query is longer. Default 16,384 (VictoriaMetrics' -search.maxQueryLen). */
  maxQueryLength?: number;
  /** Thanos `partial_response`: deny (fail when a store does not answer) or allow (take the warning); unset: the store's default. */
  partialResponse?: "allow" | "deny";
  /** The label and value that select this cluster's series in a store holding several. */
  cluster?: ClusterScope;
}

/** A request as it will be sent, for an authorizer to sign. */
export interface OutgoingRequest {
  method: "GET" | "POST";
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/**
 * What a managed Prometheus needs on each request: the headers to add (a SigV4 signature, a
 * bearer token). Every value it returns is treated as a secret.
 */
export interface RequestAuthorizer {
  /** "AWS SigV4 (aps, eu-west-1)": for messages; never a secret. */
  readonly description: string;
  headersFor(request: OutgoingRequest): Promise<Record<string, string>>;
}

/** VictoriaMetrics' default -search.maxQueryLen; proxies commonly allow about as much in a header or URL. */
export const DEFAULT_MAX_QUERY_LENGTH = 16_384;

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

type Transport = (request: OutgoingRequest, timeoutMilliseconds: number) => Promise<HttpAnswer>;

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
  /** Credentials and the headers made of them, never to appear in a message (longest first). */
  private secrets: string[];
  private readonly authorizer: RequestAuthorizer | undefined;
  private readonly partialResponse: "allow" | "deny" | undefined;
  readonly maxQueryLength: number;
  readonly cluster: ClusterScope | undefined;

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
    // Custom headers first: the credentials below win over a header of the same name.
    const custom = Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    this.headers = { ...custom, accept: "application/json" };
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
    // Header values too (a tenant key may be a secret); short ones would redact ordinary words.
    const headerValues = Object.values(custom).filter((value) => value.length >= 6);
    this.secrets = [this.headers.authorization, ...credentials, ...headerValues].filter((secret): secret is string => Boolean(secret)).sort((a, b) => b.length - a.length);
    this.authorizer = options.authorizer;
    this.partialResponse = options.partialResponse;
    this.maxQueryLength = options.maxQueryLength ?? DEFAULT_MAX_QUERY_LENGTH;
    this.cluster = options.cluster;
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

  /**
   * The metric names with series matching `selector` in [start, end] (`/api/v1/label/__name__/values`
   * with `match[]`): what exists, read from the index without reading samples.
   */
  async metricNames(selector: string, range: { start: number; end: number }): Promise<string[]> {
    const url = new URL("api/v1/label/__name__/values", this.base);
    url.search = new URLSearchParams({ "match[]": selector, start: String(range.start), end: String(range.end) }).toString();
    const { data } = await this.exchange({ method: "GET", url, headers: { ...this.headers }, body: "" }, `metric names of ${selector}`);
    if (!Array.isArray(data)) throw new ExternalError(`Prometheus at ${this.displayUrl} answered the metric names with an unexpected result (expected a list); is the URL a Prometheus API?`);
    return data.map(String).sort();
  }

  private async call(path: string, expression: string, parameters: Record<string, string>): Promise<{ data: unknown; warnings: string[] }> {
    if (expression.length > this.maxQueryLength) {
      throw new InputError(
        `a query of ${expression.length} characters is longer than the maximum query length ${this.maxQueryLength} (prometheus.maxQueryLength); raise it to what the store accepts, or observe fewer pods per query: ${excerpt(expression, 120)}`,
        { field: "prometheus.maxQueryLength" },
      );
    }
    const form = new URLSearchParams({ query: expression, ...parameters, timeout: String(this.timeoutSeconds) });
    if (this.partialResponse) form.set("partial_response", this.partialResponse === "allow" ? "true" : "false");
    const url = new URL(path, this.base);
    const headers = { ...this.headers, "content-type": "application/x-www-form-urlencoded" };
    return this.exchange({ method: "POST", url, headers, body: form.toString() }, expression);
  }

  private async exchange(request: OutgoingRequest, expression: string): Promise<{ data: unknown; warnings: string[] }> {
    let lastFailure: TransientFailure | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await delay(this.retryDelay * 2 ** (attempt - 1));
      try {
        return this.interpret(await this.send(await this.authorized(request)), expression);
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

  /** The request with the authorizer's headers, signed afresh for every attempt (a signature is dated). */
  private async authorized(request: OutgoingRequest): Promise<OutgoingRequest> {
    if (!this.authorizer) return request;
    let added: Record<string, string>;
    try {
      added = await this.authorizer.headersFor(request);
    } catch (error) {
      throw new ExternalError(`${this.authorizer.description} could not authorise the request to ${this.displayUrl}: ${this.redact(firstLine(error))}`, {}, { cause: error });
    }
    const fresh = Object.values(added).filter((value) => value.length >= 8 && !this.secrets.includes(value));
    if (fresh.length > 0) this.secrets = [...this.secrets, ...fresh].sort((a, b) => b.length - a.length);
    return { ...request, headers: { ...request.headers, ...added } };
  }

  private async send(request: OutgoingRequest): Promise<HttpAnswer> {
    try {
      return await this.transport(request, this.timeoutSeconds * 1000);
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
      const how = this.authorizer
        ? `check the identity ${this.authorizer.description} uses and that it may query this workspace`
        : "set RIGHTSIZE_PROMETHEUS_TOKEN or RIGHTSIZE_PROMETHEUS_USERNAME/PASSWORD (or the policy's bearerTokenEnv/basicAuth)";
      throw new ExternalError(`Prometheus at ${this.displayUrl} rejected the credentials (HTTP 401${serverError ? `: ${serverError}` : ""}); ${how}`);
    }
    if (answer.status === 431 || answer.status === 414 || answer.status === 413 || (answer.status === 422 && /too long|maxQueryLen/i.test(serverError ?? ""))) {
      throw new ExternalError(
        `Prometheus at ${this.displayUrl} refused a query of ${expression.length} characters as too long (HTTP ${answer.status}${serverError ? `: ${serverError}` : ""}); set prometheus.maxQueryLength below ${expression.length} (--max-query-length) so rightsize cuts its batches shorter`,
      );
    }
    if (answer.status === 403) throw new QueryProblem(`Prometheus refused the query (HTTP 403${serverError ? `: ${serverError}` : ""}); the credentials may not grant this namespace`, "forbidden");
    if (answer.status === 404) {
      throw new ExternalError(`Prometheus at ${this.displayUrl} has no query API (HTTP 404); check the URL and its path prefix (it should be the address that serves /api/v1/query)`);
    }
    if (body === undefined) {
      throw new ExternalError(`Prometheus at ${this.displayUrl} answered HTTP ${answer.status} with malformed JSON (${excerpt(this.redact(answer.body))}); is the URL a Prometheus API?`);
    }
    if (answer.status === 400 && /too long|maxQueryLen/i.test(serverError ?? "")) {
      throw new ExternalError(
        `Prometheus at ${this.displayUrl} refused a query of ${expression.length} characters as too long (${serverError}); set prometheus.maxQueryLength below ${expression.length} (--max-query-length) so rightsize cuts its batches shorter`,
      );
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

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
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
  return ({ method, url, headers, body }, timeoutMilliseconds) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const outgoing = request(
        url,
        {
          method,
          agent,
          // Usage answers are tens of megabytes of JSON; compressed they are a fifth of that on the wire.
          headers: { "accept-encoding": "gzip", ...headers, ...(method === "POST" ? { "content-length": Buffer.byteLength(body) } : {}) },
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
      outgoing.end(method === "POST" ? body : undefined);
    });
}

function fetchTransport(fetchImplementation: typeof fetch): Transport {
  return async ({ method, url, headers, body }, timeoutMilliseconds) => {
    const signal = AbortSignal.timeout(timeoutMilliseconds);
    try {
      const response = await fetchImplementation(url, { method, headers, ...(method === "POST" ? { body } : {}), signal });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      if (signal.aborted) throw new TransientFailure(`no answer within ${timeoutMilliseconds / 1000}s`, "timeout");
      throw error;
    }
  };
}
