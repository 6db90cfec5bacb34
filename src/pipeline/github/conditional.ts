import type { Octokit } from "@octokit/rest";

/** An answer kept with its ETag: what a 304 stands for. */
interface CachedAnswer {
  etag: string;
  headers: [string, string][];
  body: ArrayBuffer;
}

/**
 * Conditional requests (SPEC §10): GETs carry the ETag of the last answer to the same URL, and
 * GitHub answers 304 Not Modified — which does not count against the rate limit — when nothing
 * changed; the earlier answer is used again. One cache per process, shared by every client of
 * the app (answers are per repository URL, and a repository belongs to one installation), the
 * least recently used answer dropped first.
 */
export interface ConditionalCache {
  readonly entries: Map<string, CachedAnswer>;
  readonly limit: number;
  /** Answers GitHub said were unchanged (304), and answers it sent in full. */
  notModified: number;
  fetched: number;
}

export function conditionalCache(limit = 5_000): ConditionalCache {
  return { entries: new Map(), limit, notModified: 0, fetched: 0 };
}

const SHARED = conditionalCache();
const WRAPPED = new WeakSet<object>();

type Hookable = Pick<Octokit, "hook">;

/**
 * Makes the client's GETs conditional; wrapping a client twice changes nothing. Done at the fetch
 * underneath Octokit, so every layer above (logging, pagination, retries) sees the earlier answer
 * as the 200 it is, not a 304 error.
 */
export function withConditionalRequests<T extends Hookable>(octokit: T, cache: ConditionalCache = SHARED): T {
  if (WRAPPED.has(octokit)) return octokit;
  WRAPPED.add(octokit);
  octokit.hook.wrap("request", async (request, options) => {
    if (options.method !== "GET") return request(options);
    const fetchBelow: typeof fetch = (options.request?.fetch as typeof fetch | undefined) ?? globalThis.fetch;
    const conditional: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      const key = `${String(input instanceof Request ? input.url : input)} ${headers.get("accept") ?? ""}`;
      const known = cache.entries.get(key);
      if (known) headers.set("if-none-match", known.etag);
      const response = await fetchBelow(input, { ...init, headers });
      if (response.status === 304 && known) {
        cache.notModified++;
        remember(cache, key, known);
        return new Response(known.body.slice(0), { status: 200, headers: known.headers });
      }
      cache.fetched++;
      const etag = response.headers.get("etag");
      if (response.status !== 200 || !etag) return response;
      const body = await response.arrayBuffer();
      const entry: CachedAnswer = { etag, headers: [...response.headers.entries()], body };
      remember(cache, key, entry);
      return new Response(body.slice(0), { status: 200, headers: entry.headers });
    };
    // The hooks below are bound to this options object (before-after-hook): change it in place.
    options.request = { ...options.request, fetch: conditional };
    return request(options);
  });
  return octokit;
}

function remember(cache: ConditionalCache, key: string, entry: CachedAnswer): void {
  cache.entries.delete(key);
  cache.entries.set(key, entry);
  if (cache.entries.size > cache.limit) cache.entries.delete(cache.entries.keys().next().value!);
}
