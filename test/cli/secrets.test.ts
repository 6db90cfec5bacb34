import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rightsize } from "../helpers/cli.js";
import { exampleRepo, type ExampleRepo } from "../helpers/git-repo.js";
import { startLoopbackServer, type LoopbackServer, type RecordedRequest } from "../helpers/http.js";
import { freePort } from "../helpers/prometheus.js";

/*
 * SPEC §10 and issue 11: credentials never reach output. Every command here runs with a GitHub
 * token and Prometheus credentials in the environment (the documented variables and variables a
 * policy names), some against a Prometheus that rejects them and echoes them back in its error;
 * then every byte printed, every file written and every git object is searched for them.
 */

const SECRETS = {
  GITHUB_TOKEN: "ghp_S3cretGitHubToken0000000000000000001",
  RIGHTSIZE_PROMETHEUS_TOKEN: "env-S3cret-bearer-token-0002",
  RIGHTSIZE_PROMETHEUS_USERNAME: "env-S3cret-user-0003",
  RIGHTSIZE_PROMETHEUS_PASSWORD: "env-S3cret-password-0004",
  TEAM_PROM_TOKEN: "team-S3cret-bearer-token-0005",
  TEAM_PROM_USER: "team-S3cret-user-0006",
  TEAM_PROM_PASSWORD: "team-S3cret-password-0007",
  MIMIR_TENANT_KEY: "tenant-S3cret-key-0008",
  AWS_SECRET_ACCESS_KEY: "aws-S3cret-access-key-0009",
};
const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString("base64");
const NEEDLES = [
  ...Object.values(SECRETS),
  basic(SECRETS.RIGHTSIZE_PROMETHEUS_USERNAME, SECRETS.RIGHTSIZE_PROMETHEUS_PASSWORD),
  basic(SECRETS.TEAM_PROM_USER, SECRETS.TEAM_PROM_PASSWORD),
  // The distinctive part shared by all of them, in case one is cut or re-encoded.
  "S3cret",
];

const ROOT = path.join(import.meta.dirname, "../..");
const SNAPSHOT = path.join(ROOT, "examples/snapshot.json");

let repo: ExampleRepo;
/** Answers 401 and echoes the Authorization header it was sent. */
let rejecting: LoopbackServer;
/** Answers 500 with the Authorization header in the error, and with it in a warning on success. */
let failing: LoopbackServer;
/** Answers 500 with every header it was sent in the error (a tenant proxy that echoes the request). */
let echoingAll: LoopbackServer;
const outputs: Array<{ what: string; text: string }> = [];

const echo = (request: RecordedRequest) => String(request.headers.authorization ?? "");

beforeAll(async () => {
  repo = exampleRepo();
  rejecting = await startLoopbackServer((request) => ({ status: 401, body: `unauthorized: ${echo(request)}` }));
  failing = await startLoopbackServer((request) => ({
    status: 500,
    body: JSON.stringify({ status: "error", errorType: "internal", error: `upstream refused Authorization: ${echo(request)}` }),
  }));
  echoingAll = await startLoopbackServer((request) => ({
    status: 500,
    body: JSON.stringify({ status: "error", errorType: "internal", error: `upstream refused ${JSON.stringify(request.headers)}` }),
  }));
  const policy = (name: string, cluster: string) =>
    writeFileSync(path.join(repo.root, name), `apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nclusters:\n${cluster}targets:\n  - paths: ["apps/**/*.yaml"]\n    cluster: prod\n    namespace: shop\n`);
  policy("named-token.yml", `  - name: prod\n    prometheus: {url: "${rejecting.url}", bearerTokenEnv: TEAM_PROM_TOKEN, retries: 0}\n`);
  policy("named-basic.yml", `  - name: prod\n    prometheus: {url: "${failing.url}", basicAuth: {usernameEnv: TEAM_PROM_USER, passwordEnv: TEAM_PROM_PASSWORD}, retries: 0}\n`);
  policy("from-env.yml", `  - name: prod\n    prometheus: {url: "${failing.url}", retries: 0}\n`);
  policy("unreachable.yml", `  - name: prod\n    prometheus: {url: "http://127.0.0.1:${await freePort()}", bearerTokenEnv: TEAM_PROM_TOKEN, retries: 0}\n`);
});

afterAll(async () => {
  await rejecting?.stop();
  await failing?.stop();
  await echoingAll?.stop();
  repo?.cleanup();
});

async function run(env: Record<string, string | undefined>, ...args: string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete process.env[name];
  try {
    const result = await rightsize(...args);
    outputs.push({ what: `${args.join(" ")} (stdout)`, text: result.stdout }, { what: `${args.join(" ")} (stderr)`, text: result.stderr });
    return result;
  } finally {
    process.env = saved;
  }
}

const withAll = SECRETS;
const basicFromEnv = { ...SECRETS, RIGHTSIZE_PROMETHEUS_TOKEN: undefined };

describe("credentials in the environment never reach output, files or commits", () => {
  it("policy validate", async () => {
    for (const file of ["named-token.yml", "named-basic.yml", "from-env.yml"]) {
      expect((await run(withAll, "policy", "validate", path.join(repo.root, file))).status).toBe(0);
    }
  });

  it("plan and propose --local from a snapshot", async () => {
    expect((await run(withAll, "plan", "--repo", repo.work, "--snapshot", SNAPSHOT)).status).toBe(0);
    expect((await run(withAll, "plan", "--repo", repo.work, "--snapshot", SNAPSHOT, "--output", "json")).status).toBe(0);
    const proposed = await run(withAll, "propose", "--local", "--repo", repo.work, "--snapshot", SNAPSHOT);
    expect(proposed.status).toBe(0);
    expect(proposed.stdout).toContain("rightsize/prod/shop/deployment-frontend");
  });

  it("plan and propose against a Prometheus that rejects the policy's bearer token with 401 and echoes it", async () => {
    rejecting.requests.length = 0;
    const plan = await run(withAll, "plan", "--repo", repo.work, "--policy", path.join(repo.root, "named-token.yml"));
    expect(plan.status).toBe(3);
    expect(plan.stderr).toContain("rejected the credentials (HTTP 401)");
    const propose = await run(withAll, "propose", "--local", "--repo", repo.work, "--policy", path.join(repo.root, "named-token.yml"));
    expect(propose.status).toBe(3);
    // The credentials were in play: the server received them.
    expect(rejecting.requests.map(echo)).toEqual([`Bearer ${SECRETS.TEAM_PROM_TOKEN}`, `Bearer ${SECRETS.TEAM_PROM_TOKEN}`]);
  });

  it("plan and propose against a Prometheus that answers 500 with the basic-auth header in its error", async () => {
    failing.requests.length = 0;
    const plan = await run(withAll, "plan", "--repo", repo.work, "--policy", path.join(repo.root, "named-basic.yml"));
    expect(plan.status).toBe(3);
    expect(plan.stderr).toBe(`rightsize: Prometheus at ${failing.url} failed: HTTP 500 (internal: upstream refused Authorization: [redacted]) (1 attempt)\n`);
    expect((await run(withAll, "propose", "--local", "--repo", repo.work, "--policy", path.join(repo.root, "named-basic.yml"))).status).toBe(3);
    expect(failing.requests.map(echo)).toEqual(Array(2).fill(`Basic ${basic(SECRETS.TEAM_PROM_USER, SECRETS.TEAM_PROM_PASSWORD)}`));
  });

  it("plan, propose and snapshot with the RIGHTSIZE_PROMETHEUS_* variables against the same Prometheus", async () => {
    failing.requests.length = 0;
    expect((await run(withAll, "plan", "--repo", repo.work, "--policy", path.join(repo.root, "from-env.yml"))).status).toBe(3);
    expect((await run(basicFromEnv, "propose", "--local", "--repo", repo.work, "--policy", path.join(repo.root, "from-env.yml"))).status).toBe(3);
    expect((await run(basicFromEnv, "snapshot", "--prometheus", failing.url, "--namespace", "shop", "--retries", "0")).status).toBe(3);
    expect(failing.requests.map(echo)).toEqual([
      `Bearer ${SECRETS.RIGHTSIZE_PROMETHEUS_TOKEN}`,
      ...Array(2).fill(`Basic ${basic(SECRETS.RIGHTSIZE_PROMETHEUS_USERNAME, SECRETS.RIGHTSIZE_PROMETHEUS_PASSWORD)}`),
    ]);
  });

  it("snapshot with a tenant header from a variable, and signed with AWS SigV4, against a store that echoes every header", async () => {
    echoingAll.requests.length = 0;
    const env = { ...withAll, AWS_ACCESS_KEY_ID: "AKIDEXAMPLE0000001", AWS_REGION: "eu-west-1" };
    const tenant = await run(env, "snapshot", "--prometheus", echoingAll.url, "--namespace", "shop", "--retries", "0", "--header", "X-Scope-OrgID=MIMIR_TENANT_KEY");
    expect(tenant.status).toBe(3);
    expect(tenant.stderr).toContain("upstream refused");
    const signed = await run(env, "snapshot", "--prometheus", echoingAll.url, "--namespace", "shop", "--retries", "0", "--auth", "aws");
    expect(signed.status).toBe(3);
    // The tenant header and the signature were sent, and echoed back.
    expect(echoingAll.requests[0]!.headers["x-scope-orgid"]).toBe(SECRETS.MIMIR_TENANT_KEY);
    expect(String(echoingAll.requests[1]!.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE0000001\//);
    const signature = /Signature=([0-9a-f]{64})/.exec(String(echoingAll.requests[1]!.headers.authorization))![1]!;
    expect(signed.stderr).not.toContain(signature);
  });

  it("plan against a Prometheus that is not there", async () => {
    const result = await run(withAll, "plan", "--repo", repo.work, "--policy", path.join(repo.root, "unreachable.yml"));
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/is unreachable: .*ECONNREFUSED/);
  });

  it("left none of them in what was printed, in any file, or in any git object", () => {
    expect(outputs).toHaveLength(2 * 16);
    for (const { what, text } of outputs) for (const needle of NEEDLES) expect(text.includes(needle), `${needle} in ${what}`).toBe(false);

    const files = walk(repo.root);
    expect(files.some((file) => file.includes(`${path.sep}.rightsize${path.sep}out${path.sep}`))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file).toString("latin1");
      for (const needle of NEEDLES) expect(bytes.includes(needle), `${needle} in ${file}`).toBe(false);
    }

    for (const gitDir of [repo.work, repo.remote]) {
      const objects = execFileSync("git", ["cat-file", "--batch-all-objects", "--batch"], { cwd: gitDir, maxBuffer: 1 << 28 }).toString("latin1");
      // The proposals' commits and decision records are there to be searched.
      if (gitDir === repo.work) expect(objects).toContain("Rightsize-Decision: ");
      for (const needle of NEEDLES) expect(objects.includes(needle), `${needle} in a git object of ${gitDir}`).toBe(false);
    }
  });
});

function walk(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const file = path.join(directory, name);
    return statSync(file).isDirectory() ? walk(file) : [file];
  });
}
