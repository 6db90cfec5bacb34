import type { RequestAuthorizer } from "../prometheus/client.js";

/**
 * How a managed Prometheus authenticates each request, through its vendor's own library (never a
 * hand-written signer): AWS SigV4 with the standard credential chain (environment, shared files,
 * IRSA web identity, ECS/EC2 roles), Google Application Default Credentials, Azure workload or
 * managed identity. Each library is imported only when a cluster asks for it, so a CLI that
 * reads a plain Prometheus never loads them.
 */
export type StoreAuth =
  | { provider: "aws"; region: string; service: string }
  | { provider: "google"; scopes: string[] }
  | { provider: "azure"; scope: string; clientId?: string | undefined };

export async function createAuthorizer(auth: StoreAuth, url: string, env: Record<string, string | undefined> = process.env): Promise<RequestAuthorizer> {
  switch (auth.provider) {
    case "aws":
      return (await import("./aws.js")).awsSigV4Authorizer(auth);
    case "google":
      return (await import("./google.js")).googleAuthorizer(auth, url);
    case "azure":
      return (await import("./azure.js")).azureAuthorizer(auth, env);
  }
}
