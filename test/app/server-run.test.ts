import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { freePort } from "../helpers/prometheus.js";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitHubStandIn } from "../helpers/github-standin.js";
import { withoutInterception } from "../helpers/network.js";

withoutInterception();

/**
 * A full run of the built server against a loopback GitHub: a `/rightsize all` comment delivered
 * as a signed webhook, answered with pull requests; then every log line is searched for secrets.
 */
const ROOT = path.join(import.meta.dirname, "../..");
const SECRETS = {
  WEBHOOK_SECRET: "webhook-secret-3f9a1c77",
  PROD_PROMETHEUS_TOKEN: "prometheus-token-8b2e44d1",
};
let github: GitHubStandIn;
let server: ChildProcess | undefined;
let scratch: string;
let port = 0;
let logs = "";
let privateKey = "";

beforeAll(async () => {
  if (!existsSync(`${ROOT}/dist/app/main.js`)) throw new Error("dist/ is missing: run npm run build before the tests");
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-server-run-"));
  github = await GitHubStandIn.withExample();
  privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  // One workload: Probot paces writes to GitHub at about one a second, and a PR takes six.
  const snapshot = path.join(scratch, "snapshot.json");
  const example = JSON.parse(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8")) as { workloads: { workload: { name: string } }[] };
  writeFileSync(snapshot, JSON.stringify({ ...example, workloads: example.workloads.filter((workload) => workload.workload.name === "frontend") }));
  writeFileSync(
    path.join(scratch, "clusters.yaml"),
    `clusters:\n  - name: prod\n    snapshot: ${snapshot}\n  - name: staging\n    prometheus:\n      url: http://127.0.0.1:9\n      bearerTokenEnv: PROD_PROMETHEUS_TOKEN\n`,
  );
  port = await freePort();
  server = spawn(process.execPath, [`${ROOT}/dist/app/main.js`], {
    env: {
      PATH: process.env.PATH,
      APP_ID: "7",
      PRIVATE_KEY: privateKey,
      ...SECRETS,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "trace",
      LOG_FORMAT: "json",
      GHE_HOST: `127.0.0.1:${github.port}`,
      GHE_PROTOCOL: "http",
      RIGHTSIZE_CLUSTERS_FILE: path.join(scratch, "clusters.yaml"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  const deadline = Date.now() + 20_000;
  while (!(await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false))) {
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${logs}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((resolve) => server!.once("exit", resolve));
  }
  await github?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("a full run of the server", () => {
  it("answers /rightsize all with pull requests, and no log line holds a secret", async () => {
    const payload = JSON.stringify(github.issueComment(4242, "/rightsize all"));
    const response = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
      method: "POST",
      body: payload,
      headers: {
        "content-type": "application/json",
        "x-github-event": "issue_comment",
        "x-github-delivery": "run-1",
        "x-hub-signature-256": `sha256=${createHmac("sha256", SECRETS.WEBHOOK_SECRET).update(payload).digest("hex")}`,
      },
    });
    expect(response.status).toBe(200);
    const deadline = Date.now() + 60_000;
    while (!github.comments.some((comment) => comment.body.includes("<!-- rightsize:reply 4242 -->")) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(github.pulls.length).toBeGreaterThan(0);
    expect(github.comments.find((comment) => comment.issue === 1)?.body).toMatch(/^@alice rightsize proposed 1 pull request:\n- #\d+ opened: rightsize\(shop\/frontend\)/);

    expect(logs).toContain('"msg"');
    const installationToken = "ghs_standin_2";
    for (const secret of [...Object.values(SECRETS), installationToken, ...privateKey.split("\n").filter((line) => line.length > 20)]) {
      expect(logs).not.toContain(secret);
    }
    expect(readFileSync(path.join(github.gitDir, "config"), "utf8")).not.toContain(installationToken);
  });
});
