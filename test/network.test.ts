import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withoutInterception } from "./helpers/network.js";

withoutInterception();

/**
 * A file that calls withoutInterception sends its requests as the product does. Through nock's
 * interceptor (test/setup.ts) a keep-alive request went out with `Connection: close`, and
 * VictoriaMetrics' streamed answers were then cut mid-body (CI failed on "ECONNRESET aborted").
 */
let server: http.Server;
let port: number;
const seen: string[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    seen.push(String(request.headers.connection));
    response.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("withoutInterception", () => {
  it("lets a keep-alive agent's request go out with Connection: keep-alive", async () => {
    const agent = new http.Agent({ keepAlive: true });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        http
          .get(`http://127.0.0.1:${port}/`, { agent }, (response) => {
            let text = "";
            response.on("data", (chunk: Buffer) => (text += chunk.toString()));
            response.on("end", () => resolve(text));
          })
          .on("error", reject);
      });
      expect(body).toBe("ok");
      expect(seen).toEqual(["keep-alive"]);
    } finally {
      agent.destroy();
    }
  });
});
