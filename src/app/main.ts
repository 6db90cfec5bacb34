import { run } from "probot";
import { formatLocation, RightsizeError } from "../domain/index.js";
import { loadOperatorClusters } from "../pipeline/index.js";
import { rightsizeApp } from "./index.js";
import { RepositoryLocks, type AppDependencies } from "./runtime.js";
import { scheduleScans } from "./schedules.js";

/**
 * `npm start`: Probot's server, configured only by its environment variables (APP_ID,
 * PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, LOG_LEVEL, GHE_HOST, GHE_PROTOCOL,
 * WEBHOOK_PROXY_URL) and the operator's clusters file (RIGHTSIZE_CLUSTERS_FILE).
 */
async function main(): Promise<void> {
  const clustersFile = process.env.RIGHTSIZE_CLUSTERS_FILE;
  const deps: AppDependencies = {
    clusters: clustersFile ? await loadOperatorClusters(clustersFile) : undefined,
    now: () => new Date(),
    locks: new RepositoryLocks(),
  };
  await run((app, options) => {
    if (!deps.clusters) app.log.warn("RIGHTSIZE_CLUSTERS_FILE is not set: rightsize answers commands but observes no cluster");
    scheduleScans(app, deps);
    return rightsizeApp(deps)(app, options);
  });
}

main().catch((error: unknown) => {
  if (error instanceof RightsizeError) {
    const where = formatLocation(error.location);
    process.stderr.write(`rightsize: ${where && !error.message.startsWith(where) ? `${where}: ` : ""}${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`rightsize: the server could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
