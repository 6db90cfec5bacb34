import http from "node:http";
import https from "node:https";
import type net from "node:net";

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Answer only after this long (to provoke client timeouts). */
  delayMilliseconds?: number;
}

export interface LoopbackServer {
  url: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

/**
 * An HTTP server (HTTPS with `tls`) on a free 127.0.0.1 port; every request is recorded, then
 * answered by `handle`.
 */
export async function startLoopbackServer(handle: (request: RecordedRequest) => Promise<Reply> | Reply, tls?: { key: string; cert: string }): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<net.Socket>();
  const listener: http.RequestListener = (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", async () => {
      const request: RecordedRequest = {
        method: incoming.method ?? "GET",
        url: new URL(incoming.url ?? "/", "http://127.0.0.1"),
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(request);
      try {
        const reply = await handle(request);
        if (reply.delayMilliseconds) await new Promise((resolve) => setTimeout(resolve, reply.delayMilliseconds));
        if (outgoing.destroyed) return;
        outgoing.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
        outgoing.end(reply.body);
      } catch (error) {
        outgoing.writeHead(599);
        outgoing.end(String(error));
      }
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  server.on(tls ? "secureConnection" : "connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Forwards a recorded request to `target` (same path below `prefix`) and returns its answer. */
export async function forward(request: RecordedRequest, target: string, prefix = ""): Promise<Reply> {
  const path = request.url.pathname.startsWith(prefix) ? request.url.pathname.slice(prefix.length) : request.url.pathname;
  const response = await fetch(`${target}${path}${request.url.search}`, {
    method: request.method,
    headers: { "content-type": String(request.headers["content-type"] ?? "application/x-www-form-urlencoded") },
    ...(request.method === "POST" ? { body: request.body } : {}),
  });
  return { status: response.status, body: await response.text() };
}

/** The PromQL text of a recorded Prometheus API request. */
export function promqlOf(request: RecordedRequest): string {
  return new URLSearchParams(request.body).get("query") ?? request.url.searchParams.get("query") ?? "";
}
