import { GoogleAuth } from "google-auth-library";
import type { RequestAuthorizer } from "../prometheus/client.js";

/**
 * Google Managed Service for Prometheus (the Cloud Monitoring Prometheus API): a bearer token
 * from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity on GKE,
 * the metadata server), fetched and refreshed by Google's own library.
 */
export function googleAuthorizer(options: { scopes: string[] }): RequestAuthorizer {
  const auth = new GoogleAuth({ scopes: options.scopes });
  return {
    description: "Google Application Default Credentials",
    async headersFor() {
      const headers = await auth.getRequestHeaders();
      const authorization = headers.get("authorization");
      if (!authorization) throw new Error("Application Default Credentials gave no authorization header");
      return { authorization };
    },
  };
}
