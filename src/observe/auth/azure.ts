import { ManagedIdentityCredential, WorkloadIdentityCredential, type TokenCredential } from "@azure/identity";
import type { RequestAuthorizer } from "../prometheus/client.js";

/**
 * Azure Monitor managed service for Prometheus: a bearer token for its query scope from Azure
 * workload identity (AKS: AZURE_FEDERATED_TOKEN_FILE with AZURE_CLIENT_ID and AZURE_TENANT_ID)
 * or else the managed identity of the VM, App Service or Arc server, through @azure/identity,
 * which caches and refreshes it.
 */
export function azureAuthorizer(options: { scope: string; clientId?: string | undefined }, env: Record<string, string | undefined>): RequestAuthorizer {
  const credential: TokenCredential = env.AZURE_FEDERATED_TOKEN_FILE
    ? new WorkloadIdentityCredential(options.clientId ? { clientId: options.clientId } : {})
    : options.clientId
      ? new ManagedIdentityCredential({ clientId: options.clientId })
      : new ManagedIdentityCredential();
  const kind = env.AZURE_FEDERATED_TOKEN_FILE ? "workload identity" : "managed identity";
  return {
    description: `Azure ${kind}`,
    async headersFor() {
      const token = await credential.getToken(options.scope);
      if (!token) throw new Error(`Azure ${kind} gave no token for ${options.scope}`);
      return { authorization: `Bearer ${token.token}` };
    },
  };
}
