import { createSign, generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { observeForPolicy } from "../../src/observe/index.js";
import { loadPolicy } from "../../src/policy/index.js";
import { rightsize } from "../helpers/cli.js";
import { startLoopbackServer, type LoopbackServer, type RecordedRequest } from "../helpers/http.js";
import { emptyPrometheusAnswer, verifiedJwtClaims, verifySigV4, type SigV4Key } from "../helpers/managed-prometheus.js";

/**
 * SPEC §4: managed Prometheus services through their vendors' own authentication, each against a
 * loopback server that checks the request as the service does. No request leaves 127.0.0.1.
 */

let directory: string;
const servers: LoopbackServer[] = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-managed-"));
});

afterEach(() => {
  process.env = { ...savedEnv };
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  if (directory) await rm(directory, { recursive: true, force: true });
});

async function serve(handle: (request: RecordedRequest) => Promise<{ status: number; body: string }> | { status: number; body: string }): Promise<LoopbackServer> {
  const server = await startLoopbackServer(handle);
  servers.push(server);
  return server;
}

const AT = "2025-03-08T00:00:00Z";
const policyFor = (prometheus: string) =>
  loadPolicy({ path: "p.yml", text: `apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nclusters:\n  - name: prod\n    prometheus: ${prometheus}\nobserve: {window: 1d}\n` }).policy;

describe("Amazon Managed Service for Prometheus: SigV4 with the AWS credential chain", () => {
  const KEY: SigV4Key = { accessKeyId: "AKIDEXAMPLE0000001", secretAccessKey: "aws-S3cret-access-key-0000000000000000001", region: "eu-west-1", service: "aps" };
  let store: LoopbackServer;
  let tamper = false;
  const verdicts: boolean[] = [];

  beforeAll(async () => {
    store = await serve(async (request) => {
      // A proxy that changes the query after it was signed: the service must refuse it.
      const received = tamper ? { ...request, body: request.body.replace("shop", "kube-system") } : request;
      const valid = await verifySigV4(received, KEY);
      verdicts.push(valid);
      if (!valid) return { status: 403, body: JSON.stringify({ message: "The request signature we calculated does not match the signature you provided." }) };
      return emptyPrometheusAnswer(request);
    });
  });

  it("signs every request so that the service's own recomputation from the secret key matches", async () => {
    process.env.AWS_ACCESS_KEY_ID = KEY.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = KEY.secretAccessKey;
    verdicts.length = 0;
    store.requests.length = 0;
    const snapshot = await observeForPolicy(policyFor(`{url: "${store.url}/workspaces/ws-1", auth: {provider: aws, region: eu-west-1}}`), { at: AT });
    expect(snapshot.workloads).toEqual([]);
    // The namespaces query, shop's owners, the metric names (a signed GET with a query string), its Jobs and HPAs.
    expect(store.requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual([
      "POST /workspaces/ws-1/api/v1/query",
      "POST /workspaces/ws-1/api/v1/query",
      "GET /workspaces/ws-1/api/v1/label/__name__/values",
      "POST /workspaces/ws-1/api/v1/query",
      "POST /workspaces/ws-1/api/v1/query",
    ]);
    expect(verdicts).toEqual([true, true, true, true, true]);
    expect(store.requests.every((request) => String(request.headers.authorization).startsWith(`AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/`))).toBe(true);
  });

  it("is refused when the signed request was changed on its way, and says so without the signature", async () => {
    process.env.AWS_ACCESS_KEY_ID = KEY.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = KEY.secretAccessKey;
    tamper = true;
    verdicts.length = 0;
    try {
      const snapshot = await observeForPolicy(policyFor(`{url: "${store.url}", auth: {provider: aws, region: eu-west-1}, retries: 0}`), { at: AT, namespaces: ["shop"] });
      expect(snapshot.problems).toEqual([
        { cluster: "prod", namespace: "shop", message: "namespace shop: cannot list workloads from Prometheus: Prometheus refused the query (HTTP 403); the credentials may not grant this namespace" },
      ]);
    } finally {
      tamper = false;
    }
    expect(verdicts).toEqual([false]);
  });

  it("signs with the role IRSA assumes: the identity token is exchanged at STS (AssumeRoleWithWebIdentity) for temporary credentials", async () => {
    const provider = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const TEMPORARY: SigV4Key = { accessKeyId: "ASIATEMPORARY000001", secretAccessKey: "irsa-S3cret-temporary-key-0000000001", region: "eu-west-1", service: "aps" };
    const SESSION = "irsa-S3cret-session-token-0000000001";
    const assumed: Array<Record<string, unknown> | undefined> = [];
    const sts = await serve((request) => {
      const form = new URLSearchParams(request.body);
      const claims = form.get("Action") === "AssumeRoleWithWebIdentity" && form.get("RoleArn") === "arn:aws:iam::123456789012:role/rightsize" ? verifiedJwtClaims(form.get("WebIdentityToken") ?? "", provider.publicKey) : undefined;
      assumed.push(claims);
      if (!claims) return { status: 403, body: "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad token</Message></Error></ErrorResponse>" };
      const credentials = `<AccessKeyId>${TEMPORARY.accessKeyId}</AccessKeyId><SecretAccessKey>${TEMPORARY.secretAccessKey}</SecretAccessKey><SessionToken>${SESSION}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>`;
      return {
        status: 200,
        body: `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials>${credentials}</Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/rightsize/session</Arn><AssumedRoleId>AROAEXAMPLE:session</AssumedRoleId></AssumedRoleUser></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
      };
    });
    const temporaryStore = await serve(async (request) => {
      const valid = request.headers["x-amz-security-token"] === SESSION && (await verifySigV4(request, TEMPORARY));
      return valid ? emptyPrometheusAnswer(request) : { status: 403, body: JSON.stringify({ message: "The security token included in the request is invalid." }) };
    });
    const token = path.join(directory, "irsa-token");
    await writeFile(token, signedJwt({ iss: "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE", sub: "system:serviceaccount:rightsize:rightsize", aud: "sts.amazonaws.com", exp: Math.floor(Date.now() / 1000) + 600 }, provider.privateKey));
    for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]) delete process.env[name];
    Object.assign(process.env, {
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/rightsize",
      AWS_WEB_IDENTITY_TOKEN_FILE: token,
      AWS_REGION: "eu-west-1",
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_CONFIG_FILE: path.join(directory, "no-config"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(directory, "no-credentials"),
    });
    const snapshot = await observeForPolicy(policyFor(`{url: "${temporaryStore.url}", auth: {provider: aws, region: eu-west-1}}`), { at: AT });
    expect(snapshot.problems ?? []).toEqual([]);
    expect(temporaryStore.requests).toHaveLength(5);
    expect(assumed).toHaveLength(1);
    expect(assumed[0]).toMatchObject({ sub: "system:serviceaccount:rightsize:rightsize" });
  });

  it("takes the signing identity from the CLI's --auth aws with the region from AWS_REGION", async () => {
    process.env.AWS_ACCESS_KEY_ID = KEY.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = KEY.secretAccessKey;
    process.env.AWS_REGION = "eu-west-1";
    verdicts.length = 0;
    const result = await rightsize("snapshot", "--prometheus", store.url, "--auth", "aws", "--namespace", "shop", "--at", AT, "--window", "1d");
    expect(result.status, result.stderr).toBe(0);
    expect(verdicts).toEqual([true, true, true, true]);
    expect(result.stderr).not.toContain(KEY.secretAccessKey);
  });
});

describe("Google Managed Prometheus: Application Default Credentials", () => {
  // Workload identity federation: a credentials file names the security token service and a
  // file holding the workload's identity token (an OIDC JWT signed by its identity provider).
  const provider = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const ACCESS_TOKEN = "ya29.google-S3cret-access-token-0000000001";
  const AUDIENCE = "//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/rightsize/providers/cluster";
  let sts: LoopbackServer;
  let store: LoopbackServer;
  const exchanges: Array<Record<string, unknown> | undefined> = [];

  beforeAll(async () => {
    sts = await serve((request) => {
      const form = new URLSearchParams(request.body);
      const valid =
        form.get("grant_type") === "urn:ietf:params:oauth:grant-type:token-exchange" &&
        form.get("audience") === AUDIENCE &&
        form.get("subject_token_type") === "urn:ietf:params:oauth:token-type:jwt";
      const claims = valid ? verifiedJwtClaims(form.get("subject_token") ?? "", provider.publicKey) : undefined;
      exchanges.push(claims && { ...claims, scope: form.get("scope") });
      if (!claims || claims.sub !== "system:serviceaccount:rightsize:rightsize") return { status: 400, body: JSON.stringify({ error: "invalid_grant" }) };
      return { status: 200, body: JSON.stringify({ access_token: ACCESS_TOKEN, issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: 3600 }) };
    });
    store = await serve((request) => (request.headers.authorization === `Bearer ${ACCESS_TOKEN}` ? emptyPrometheusAnswer(request) : { status: 401, body: "unauthenticated" }));
  });

  it("exchanges the workload's identity token at the token service and sends the access token to the store", async () => {
    const identityToken = path.join(directory, "identity-token");
    await writeFile(identityToken, signedJwt({ iss: "https://cluster.example", sub: "system:serviceaccount:rightsize:rightsize", aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 }, provider.privateKey));
    const credentials = path.join(directory, "credentials.json");
    await writeFile(
      credentials,
      JSON.stringify({ type: "external_account", audience: AUDIENCE, subject_token_type: "urn:ietf:params:oauth:token-type:jwt", token_url: `${sts.url}/v1/token`, credential_source: { file: identityToken } }),
    );
    process.env.GOOGLE_APPLICATION_CREDENTIALS = credentials;
    store.requests.length = 0;
    const snapshot = await observeForPolicy(policyFor(`{url: "${store.url}/v1/projects/example-project/location/global/prometheus", auth: {provider: google}}`), { at: AT });
    expect(snapshot.workloads).toEqual([]);
    expect(store.requests.length).toBeGreaterThan(0);
    expect(store.requests.every((request) => request.headers.authorization === `Bearer ${ACCESS_TOKEN}`)).toBe(true);
    // One exchange of a token whose signature verified, for the monitoring read scope; the access token is reused.
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]).toMatchObject({ sub: "system:serviceaccount:rightsize:rightsize", scope: "https://www.googleapis.com/auth/monitoring.read" });
  });
});

function signedJwt(claims: Record<string, unknown>, privateKey: string): string {
  const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT" })).toString("base64url");
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const signature = createSign("RSA-SHA256").update(`${header}.${payload}`).sign(privateKey).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

describe("Azure Monitor managed Prometheus: managed identity", () => {
  const ACCESS_TOKEN = "azure-S3cret-access-token-0000000001";
  const IDENTITY_HEADER = "azure-S3cret-identity-header-01";
  let identity: LoopbackServer;
  let store: LoopbackServer;

  beforeAll(async () => {
    identity = await serve((request) => {
      if (request.headers["x-identity-header"] !== IDENTITY_HEADER) return { status: 401, body: JSON.stringify({ error: "unauthorized" }) };
      const expiresOn = Math.floor(Date.now() / 1000) + 3600;
      return { status: 200, body: JSON.stringify({ access_token: ACCESS_TOKEN, expires_on: String(expiresOn), resource: request.url.searchParams.get("resource"), token_type: "Bearer" }) };
    });
    store = await serve((request) => (request.headers.authorization === `Bearer ${ACCESS_TOKEN}` ? emptyPrometheusAnswer(request) : { status: 401, body: "unauthenticated" }));
  });

  it("gets a token for the Prometheus query scope from the identity endpoint and sends it to the store", async () => {
    process.env.IDENTITY_ENDPOINT = `${identity.url}/msi/token`;
    process.env.IDENTITY_HEADER = IDENTITY_HEADER;
    store.requests.length = 0;
    const snapshot = await observeForPolicy(policyFor(`{url: "${store.url}", auth: {provider: azure}}`), { at: AT });
    expect(snapshot.workloads).toEqual([]);
    expect(store.requests).toHaveLength(5);
    expect(store.requests.every((request) => request.headers.authorization === `Bearer ${ACCESS_TOKEN}`)).toBe(true);
    expect(identity.requests.map((request) => request.url.searchParams.get("resource"))).toEqual(["https://prometheus.monitor.azure.com"]);
  });
});
