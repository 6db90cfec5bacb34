import { Command, Option } from "commander";
import { EXIT, UsageError } from "../../domain/index.js";
import { diagnoseClusters, diagnosePrometheus, doctorReport, loadOperatorClusters, renderDoctorMarkdown, renderDoctorText, type ClusterConnection, type DoctorReport } from "../../observe/index.js";
import { addStoreOptions, loadPolicyWithWarnings, parseAtOption, parseDurationOption, prometheusSource, type PrometheusFlags } from "../inputs.js";
import { addOutputOptions, parseOutputFormat, printOutput, type OutputFlags, type Rows } from "../output.js";

interface DoctorOptions extends PrometheusFlags, OutputFlags {
  prometheus?: string;
  cluster: string;
  policy?: string;
  clustersFile?: string;
  namespace?: string[];
  window?: string;
  at?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * SPEC §4 `rightsize doctor`: for each cluster, which metrics rightsize reads exist, at what scrape
 * interval and over how much history, what each missing one costs and how to fix it. Exit 0 when
 * proposing can work, 1 when an essential metric is missing, 3 when a store could not be asked.
 */
export function register(program: Command): void {
  const command = program
    .command("doctor")
    .description(
      "Check the metric store of each cluster: which metrics rightsize reads exist (scrape interval, history), what every missing one costs (the evidence that becomes unknown) and the fix. " +
        "Exit status 0: proposing can work; 1: an essential metric is missing; 3: a store could not be asked.",
    )
    .option("--prometheus <url>", "the store to check (Prometheus, Thanos, Mimir, VictoriaMetrics, a managed Prometheus); credentials as for snapshot")
    .option("--cluster <name>", "with --prometheus: the cluster's name (and, with --cluster-label, its label value)", "default")
    .option("--policy <file>", "check the clusters of this policy (default: .github/rightsize.yml when present)")
    .option("--clusters-file <file>", "check the operator's clusters (RIGHTSIZE_CLUSTERS_FILE format), as the app observes them")
    .option("-n, --namespace <namespace>", "look only at this namespace (repeat for more; default: all)", collect)
    .option("--window <duration>", "history to look at, ending at --at (default: the policy's observe.window, 7d)")
    .option("--at <time>", "ISO time the window ends (default: now)")
    .option("--timeout <duration>", "per request to the store", "30s")
    .option("--retries <count>", "retries of a failed request, with backoff", "3")
    .option("--ca-file <file>", "CA bundle for the store's TLS certificate")
    .addOption(new Option("--insecure-skip-tls-verify", "do not verify the store's TLS certificate"));
  addStoreOptions(command);
  addOutputOptions(command).action(async (options: DoctorOptions) => {
    const format = parseOutputFormat(options.output);
    const sources = [options.prometheus, options.policy, options.clustersFile].filter(Boolean).length;
    if (sources > 1) throw new UsageError("pass one of --prometheus, --policy and --clusters-file");
    const at = parseAtOption(options.at) ?? new Date().toISOString();
    let clusters: ClusterConnection[];
    let windowSeconds = options.window ? parseDurationOption(options.window, "--window") : undefined;
    let report: DoctorReport;
    const request = (seconds: number) => ({ at, windowSeconds: seconds, ...(options.namespace && options.namespace.length > 0 ? { namespaces: options.namespace } : {}) });
    if (options.prometheus) {
      const source = await prometheusSource(options.prometheus, options, options.cluster);
      report = doctorReport(at, [await diagnosePrometheus(source, { cluster: options.cluster, ...request(windowSeconds ?? 7 * 86_400) })]);
    } else {
      if (options.clustersFile) clusters = (await loadOperatorClusters(options.clustersFile)).clusters;
      else {
        const loaded = await loadPolicyWithWarnings(options.policy, ".");
        clusters = loaded.policy.clusters.length > 0 ? loaded.policy.clusters : [];
        windowSeconds ??= loaded.policy.observe.window.seconds;
        if (clusters.length === 0) throw new UsageError("the policy names no cluster to check; pass --prometheus URL (or --clusters-file FILE)");
      }
      report = await diagnoseClusters(clusters, request(windowSeconds ?? 7 * 86_400), { inCluster: Boolean(options.clustersFile) });
    }
    printOutput(format, options, { data: () => report, table: () => renderDoctorText(report), rows: () => doctorRows(report), markdown: () => `${renderDoctorMarkdown(report)}\n` });
    process.exitCode = report.clusters.some((cluster) => cluster.error) ? EXIT.external : report.canPropose ? EXIT.ok : EXIT.finding;
  });
}

/** One row per cluster and metric (a cluster whose store could not be asked: one row with the error). */
function doctorRows(report: DoctorReport): Rows {
  return {
    columns: ["cluster", "source", "metric", "exporter", "present", "essential", "series", "scrape_interval_seconds", "history_seconds", "cost", "fix", "error"],
    rows: report.clusters.flatMap((cluster) =>
      cluster.error
        ? [[cluster.cluster, cluster.source, null, null, null, null, null, null, null, null, null, cluster.error]]
        : cluster.metrics.map((metric) => [cluster.cluster, cluster.source, metric.metric, metric.exporter, metric.present, metric.essential, metric.series, metric.scrapeIntervalSeconds, metric.historySeconds, metric.cost, metric.fix, null]),
    ),
  };
}
