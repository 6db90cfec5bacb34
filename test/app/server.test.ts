import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/prometheus.js";

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
