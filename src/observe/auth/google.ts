import { GoogleAuth } from "google-auth-library";
import type { RequestAuthorizer } from "../prometheus/client.js";

/**
 * Google Managed Service for Prometheus (the Cloud Monitoring Prometheus API): a bearer token
 * from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity on GKE,
 * the metadata server), fetched and refreshed by Google's own library.
 */
export function googleAuthorizer(options: { scopes: string[] }, url: string): RequestAuthorizer {
  // The store's URL names its project (…/v1/projects/PROJECT/location/global/prometheus); given it,
  // the library does not look the project up through the Resource Manager API.
  const projectId = /\/projects\/([^/]+)\//.exec(new URL(url).pathname)?.[1];
  const auth = new GoogleAuth({ scopes: options.scopes, ...(projectId ? { projectId } : {}) });
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
