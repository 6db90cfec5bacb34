import { readFile } from "node:fs/promises";
import { isNode, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { formatFieldPath, InputError } from "../domain/index.js";
import { PrometheusConnectionSchema } from "../policy/index.js";

/**
 * The operator's clusters (SPEC §10, `RIGHTSIZE_CLUSTERS_FILE`): the app observes only these. A
 * repository's policy refers to clusters by name and never supplies an endpoint, so a policy
 * cannot make the bot fetch arbitrary URLs from inside the operator's network. Each cluster is
 * observed through one source (sources.ts): a Prometheus-compatible store (plain, Thanos, Mimir,
 * VictoriaMetrics, or a managed one), metrics-server sampling through its kubeconfig, or a
 * snapshot replay.
 */
export const OperatorClustersSchema = z.strictObject({
  clusters: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        /** A kubeconfig file; without it and without `context`, the in-cluster service account. */
        kubeconfig: z.string().optional(),
        context: z.string().optional(),
        prometheus: PrometheusConnectionSchema.optional(),
        /** Replay an observation snapshot instead of observing (demos, tests, air-gapped trials). */
        snapshot: z.string().optional(),
      }),
    )
    .min(1, "name at least one cluster"),
});

export type OperatorClusters = z.infer<typeof OperatorClustersSchema>;
export type OperatorCluster = OperatorClusters["clusters"][number];

/** Reads and checks the clusters file; every problem names the file, line, column and field. */
export async function loadOperatorClusters(file: string): Promise<OperatorClusters> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new InputError(`${file}: cannot read the clusters file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check RIGHTSIZE_CLUSTERS_FILE`, { file });
  }
  return parseOperatorClusters(text, file);
}

export function parseOperatorClusters(text: string, file: string): OperatorClusters {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const [syntax] = document.errors;
  if (syntax) {
    const position = lines.linePos(syntax.pos[0]);
    throw new InputError(`${file}:${position.line}:${position.col}: not valid YAML (${syntax.code}); fix the clusters file`, { file, line: position.line, column: position.col });
  }
  const parsed = OperatorClustersSchema.safeParse(document.toJS({ maxAliasCount: 100 }));
  if (parsed.success) {
    const names = parsed.data.clusters.map((cluster) => cluster.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate) throw new InputError(`${file}: cluster "${duplicate}" is named twice; give each cluster its own name`, { file, field: "clusters" });
    return parsed.data;
  }
  const messages = parsed.error.issues.map((issue) => {
    // A missing key has no node: the nearest enclosing one that exists is where it belongs.
    const path = issue.path as (string | number)[];
    let depth = path.length;
    while (depth > 0 && !isNode(document.getIn(path.slice(0, depth), true))) depth--;
    const node = document.getIn(path.slice(0, depth), true);
    const offset = isNode(node) && node.range ? node.range[0] : 0;
    const position = lines.linePos(offset);
    return `${file}:${position.line}:${position.col} ${formatFieldPath(issue.path as (string | number)[])}: ${issue.message}`;
  });
  throw new InputError(messages.join("\n"), { file });
}

/** The standard variables the vendors' libraries read secrets from, for the log scrubber. */
const VENDOR_SECRET_VARIABLES = { aws: ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"], google: [], azure: ["AZURE_CLIENT_SECRET"] } as const;

/** The environment variables the clusters file takes secrets from: their values never reach a log. */
export function clusterSecretVariables(clusters: OperatorClusters | undefined): string[] {
  const names = (clusters?.clusters ?? []).flatMap((cluster) => {
    const prometheus = cluster.prometheus;
    if (!prometheus) return [];
    const headers = Object.values(prometheus.headers).flatMap((header) => ("valueEnv" in header ? [header.valueEnv] : []));
    return [prometheus.bearerTokenEnv, prometheus.basicAuth?.passwordEnv, ...headers, ...(prometheus.auth ? VENDOR_SECRET_VARIABLES[prometheus.auth.provider] : [])].filter(
      (name): name is string => Boolean(name),
    );
  });
  return [...new Set(names)];
}
