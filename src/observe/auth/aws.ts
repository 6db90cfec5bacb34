import { Sha256 } from "@aws-crypto/sha256-js";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { SignatureV4 } from "@smithy/signature-v4";
import type { OutgoingRequest, RequestAuthorizer } from "../prometheus/client.js";

/**
 * Amazon Managed Service for Prometheus: every request signed with SigV4 (service `aps`) by the
 * AWS SDK's own signer, with credentials from the SDK's default chain: environment variables,
 * shared config and credentials files, IRSA (AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE),
 * ECS and EC2 instance roles. Credentials are cached and refreshed by the SDK.
 */
export function awsSigV4Authorizer(options: { region: string; service: string }): RequestAuthorizer {
  const signer = new SignatureV4({ credentials: fromNodeProviderChain(), region: options.region, service: options.service, sha256: Sha256 });
  return {
    description: `AWS SigV4 (${options.service}, ${options.region})`,
    async headersFor(request: OutgoingRequest) {
      const query: Record<string, string | string[]> = {};
      for (const [name, value] of request.url.searchParams) {
        const known = query[name];
        query[name] = known === undefined ? value : Array.isArray(known) ? [...known, value] : [known, value];
      }
      const signed = await signer.sign({
        method: request.method,
        protocol: request.url.protocol,
        hostname: request.url.hostname,
        ...(request.url.port ? { port: Number(request.url.port) } : {}),
        path: request.url.pathname,
        query,
        headers: { ...request.headers, host: request.url.host },
        ...(request.method === "POST" ? { body: request.body } : {}),
      });
      const added: Record<string, string> = {};
      for (const [name, value] of Object.entries(signed.headers)) if (request.headers[name] !== value && name !== "host") added[name] = value;
      return added;
    },
  };
}
