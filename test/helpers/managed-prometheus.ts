import { createHash, createVerify } from "node:crypto";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { RecordedRequest, Reply } from "./http.js";

/**
 * Loopback stand-ins for what managed Prometheus services check before they answer, each done the
 * way the service does it: Amazon Managed Service for Prometheus recomputes the SigV4 signature
 * from the request and the caller's secret key; Google's and Azure's token endpoints issue an
 * access token (Google after verifying the service account's signed JWT assertion), and the
 * query API accepts only that token.
 */

/** A Prometheus API that knows no workload: enough for a client to complete an observation. */
export function emptyPrometheusAnswer(request: RecordedRequest): Reply {
  if (request.url.pathname.endsWith("/api/v1/label/__name__/values")) return { status: 200, body: JSON.stringify({ status: "success", data: ["kube_pod_owner"] }) };
  const query = new URLSearchParams(request.body).get("query") ?? "";
  const result = query.startsWith("count by (namespace)") ? [{ metric: { namespace: "shop" }, value: [0, "1"] }] : [];
  return { status: 200, body: JSON.stringify({ status: "success", data: { resultType: "vector", result } }) };
}

export interface SigV4Key {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
}

/**
 * Recomputes a request's SigV4 signature with the AWS SDK's signer from the known key, over the
 * headers the request says it signed, its path, query and body, at the time it says it was
 * signed; true when the signature matches and the credential scope names the key, region and
 * service.
 */
export async function verifySigV4(request: RecordedRequest, key: SigV4Key): Promise<boolean> {
  const authorization = String(request.headers.authorization ?? "");
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!match) return false;
  const [, keyId, , region, service, signedHeaders, signature] = match;
  if (keyId !== key.accessKeyId || region !== key.region || service !== key.service) return false;
  // The signature covers the body through its hash: the service checks that hash against the body it received.
  const contentHash = request.headers["x-amz-content-sha256"];
  if (contentHash !== undefined && contentHash !== createHash("sha256").update(request.body).digest("hex")) return false;
  const amzDate = String(request.headers["x-amz-date"] ?? "");
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(";")) headers[name] = String(request.headers[name] ?? "");
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of request.url.searchParams) {
    const known = query[name];
    query[name] = known === undefined ? value : Array.isArray(known) ? [...known, value] : [known, value];
  }
  const host = String(request.headers.host);
  const signer = new SignatureV4({ credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, region: key.region, service: key.service, sha256: Sha256 });
  const recomputed = await signer.sign(
    {
      method: request.method,
      protocol: "http:",
      hostname: host.split(":")[0]!,
      port: Number(host.split(":")[1]),
      path: request.url.pathname,
      query,
      headers,
      ...(request.method === "POST" ? { body: request.body } : {}),
    },
    { signingDate },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(recomputed.headers.authorization))?.[1];
  return expected === signature;
}

/** An RS256 JWT's claims, when its signature verifies with the public key; undefined otherwise. */
export function verifiedJwtClaims(jwt: string, publicKeyPem: string): Record<string, unknown> | undefined {
  const [header, payload, signature] = jwt.split(".");
  if (!header || !payload || !signature) return undefined;
  const algorithm = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: string };
  if (algorithm.alg !== "RS256") return undefined;
  const verifier = createVerify("RSA-SHA256");
  verifier.update(`${header}.${payload}`);
  if (!verifier.verify(publicKeyPem, Buffer.from(signature, "base64url"))) return undefined;
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}
