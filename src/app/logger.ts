import { getTransformStream } from "@probot/pino";
import { pino, type Logger } from "pino";
import { clusterSecretVariables, type OperatorClusters } from "../observe/index.js";

/** Environment variables whose values are secrets wherever they appear. */
const SECRET_VARIABLES = ["WEBHOOK_SECRET", "PRIVATE_KEY", "GITHUB_TOKEN", "RIGHTSIZE_PROMETHEUS_TOKEN", "RIGHTSIZE_PROMETHEUS_PASSWORD", "REDIS_URL"];

/** Credentials by their shape: GitHub tokens, authorization headers, PEM keys, passwords in URLs. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, "[redacted private key]"],
  [/\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{10,}/g, "[redacted token]"],
  [/\b(Bearer|token|Basic)(\\?\s+)[A-Za-z0-9_\-.=+/]{8,}/gi, "$1$2[redacted]"],
  [/(\/\/)[^/@\s"]+:[^/@\s"]+@/g, "$1[redacted]@"],
];

/** The names of the environment variables the operator's clusters file takes credentials from. */
export function credentialVariables(clusters: OperatorClusters | undefined): string[] {
  return clusterSecretVariables(clusters);
}

/**
 * Removes every secret from a serialized log line: the values of the secret variables (and of
 * the credential variables the clusters file names), and anything shaped like a credential.
 */
export function secretScrubber(env: Record<string, string | undefined>, extraVariables: readonly string[] = []): (line: string) => string {
  const values = [...SECRET_VARIABLES, ...extraVariables]
    .map((name) => env[name])
    .filter((value): value is string => value !== undefined && value.length >= 6)
    .flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
    .sort((a, b) => b.length - a.length);
  return (line) => {
    let clean = line;
    for (const value of values) clean = clean.split(value).join("[redacted]");
    for (const [pattern, replacement] of SECRET_PATTERNS) clean = clean.replace(pattern, replacement);
    return clean;
  };
}

/**
 * The app's logger: Probot's pino with its pretty or JSON format, fields that hold credentials
 * redacted by path, and every line scrubbed of secret values before it is written.
 */
export async function createLogger(env: Record<string, string | undefined>, clusters: OperatorClusters | undefined): Promise<Logger> {
  const scrub = secretScrubber(env, credentialVariables(clusters));
  const options = {
    name: "rightsize",
    level: env.LOG_LEVEL ?? "info",
    messageKey: env.LOG_MESSAGE_KEY ?? "msg",
    redact: {
      paths: ["token", "*.token", "privateKey", "*.privateKey", "secret", "*.secret", "headers.authorization", "*.headers.authorization", "request.headers.authorization", "err.request.headers.authorization"],
      censor: "[redacted]",
    },
    hooks: { streamWrite: scrub },
  };
  const json = env.LOG_FORMAT === "json" || (env.LOG_FORMAT === undefined && env.NODE_ENV === "production");
  if (json) return pino(options, pino.destination(1));
  const transform = await getTransformStream({ logFormat: "pretty", logLevelInString: env.LOG_LEVEL_IN_STRING === "true" });
  transform.pipe(process.stdout);
  return pino(options, transform);
}
