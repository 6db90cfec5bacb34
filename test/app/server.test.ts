import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/prometheus.js";
import { withoutInterception } from "../helpers/network.js";

withoutInterception();

// `npm start` from a built checkout: Probot's server with only its environment variables.
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SECRET = "webhook-secret-for-tests";

let server: ChildProcess | undefined;
let port = 0;
let scratch = "";
let output = "";

beforeAll(async () => {
  if (!existsSync(`${ROOT}dist/app/main.js`)) throw new Error("dist/ is missing: run npm run build before the tests");
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-server-"));
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  writeFileSync(path.join(scratch, "key.pem"), key);
  writeFileSync(path.join(scratch, "clusters.yaml"), "clusters:\n  - name: prod\n    prometheus: {url: http://127.0.0.1:9}\n");
  port = await freePort();
  server = spawn(process.execPath, [`${ROOT}dist/app/main.js`], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      APP_ID: "12345",
      PRIVATE_KEY_PATH: path.join(scratch, "key.pem"),
      WEBHOOK_SECRET: SECRET,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      RIGHTSIZE_CLUSTERS_FILE: path.join(scratch, "clusters.yaml"),
      // The scheduler lists installations at start; nothing answers here, and that must not stop the server.
      GHE_HOST: "127.0.0.1:9",
      GHE_PROTOCOL: "http",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  while (!output.includes("Listening on")) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((resolve) => server!.once("exit", resolve));
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe("npm start", () => {
  it("answers /ping", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/ping`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("PONG");
  });

  it("accepts a signed webhook at /api/github/webhooks and refuses an unsigned one", async () => {
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1, hook: { type: "App", id: 1, events: [] } });
    const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const headers = { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": "delivery-ping" };
    const signed = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: "POST", body, headers: { ...headers, "x-hub-signature-256": signature } });
    expect(signed.status).toBe(200);
    const unsigned = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: "POST", body, headers: { ...headers, "x-hub-signature-256": "sha256=00" } });
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
  });

  it("serves /healthz, /readyz (naming what is not reachable) and /metrics", async () => {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, "ok\n"]);
    // GHE_HOST points at a port where nothing listens: not ready, and the probe says why.
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toMatch(/^not ready\ngithub: /);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const name of ["rightsize_scans_total", "rightsize_proposals_total", "rightsize_commands_total", "rightsize_errors_total", "rightsize_stage_duration_seconds", "rightsize_github_rate_limit_remaining", "rightsize_queue_depth", "rightsize_job_latency_seconds", "rightsize_process_cpu_seconds_total"]) {
      expect(metrics).toContain(`# TYPE ${name} `);
    }
  });

  it("never logs the private key or the webhook secret", () => {
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain("PRIVATE KEY");
  });
});

/** A process's peak resident memory so far, from /proc (VmHWM), in MiB. */
function peakMemoryMiB(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}

/** A POST to the webhook endpoint that sends `bytes` of body in 1 MiB chunks, without a Content-Length. */
function streamBody(bytes: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/api/github/webhooks", headers: { ...headers, "transfer-encoding": "chunked" } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", (error: NodeJS.ErrnoException) => (["EPIPE", "ECONNRESET"].includes(error.code ?? "") ? undefined : reject(error)));
    const chunk = Buffer.alloc(1024 * 1024, "a");
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once("drain", pump);
      }
      request.end();
    };
    pump();
  });
}

describe("deliveries from anyone (SPEC §9: untrusted senders)", () => {
  const headers = { "content-type": "application/json", "x-github-event": "issue_comment", "x-github-delivery": "delivery-big", "x-hub-signature-256": "sha256=" + "0".repeat(64) };

  it("refuses a body over the limit before reading it (it read 25 MB bodies whole: 8 at once peaked at 926 MB)", async () => {
    const declared = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: "POST", body: Buffer.alloc(25 * 1024 * 1024, "a"), headers });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: "the body is larger than 5242880 bytes (RIGHTSIZE_WEBHOOK_MAX_BYTES)" });
    const before = peakMemoryMiB(server!.pid!);
    const statuses = await Promise.all(Array.from({ length: 8 }, () => streamBody(25 * 1024 * 1024, headers)));
    expect(statuses).toEqual(Array(8).fill(413));
    // Eight streams cut at 5 MiB each: well under the 200 MB they would have held.
    expect(peakMemoryMiB(server!.pid!) - before).toBeLessThan(80);
  }, 120_000);

  it("refuses a wrongly signed delivery with 401 and never logs its payload", async () => {
    const body = JSON.stringify({ action: "created", comment: { body: "/rightsize all payload-marker-5e1d" } });
    const response = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: "POST", body, headers: { ...headers, "x-github-delivery": "delivery-forged" } });
    expect(response.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(output).not.toContain("payload-marker-5e1d");
    expect(output).toContain("refused a webhook delivery: the signature does not match the body and the webhook secret");
  });

  it("answers a signed body that is not a JSON object with 400 (a signed null was a 500)", async () => {
    for (const body of ["null", "[]", "{"]) {
      const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
      const response = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: "POST", body, headers: { ...headers, "x-hub-signature-256": signature } });
      expect(response.status).toBe(400);
    }
  });

  it("answers a delivery without the GitHub headers with 400", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(response.status).toBe(400);
  });
});

describe("a bad clusters file", () => {
  it("stops the server at start with the file, line and fix", async () => {
    const file = path.join(scratch, "bad-clusters.yaml");
    writeFileSync(file, "clusters:\n  - name: prod\n    prometheus: {url: nope}\n");
    const child = spawn(process.execPath, [`${ROOT}dist/app/main.js`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, APP_ID: "1", PRIVATE_KEY_PATH: path.join(scratch, "key.pem"), RIGHTSIZE_CLUSTERS_FILE: file, PORT: "0", HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise((resolve) => child.once("exit", resolve));
    expect(status).toBe(2);
    expect(stderr).toBe(`rightsize: ${file}:3:23 clusters[0].prometheus.url: expected an http(s) URL such as http://prometheus.monitoring:9090\n`);
  });
});
