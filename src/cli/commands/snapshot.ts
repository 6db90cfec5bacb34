import { KubeConfig } from "@kubernetes/client-node";
import { Command, Option } from "commander";
import { InputError, UsageError, type ObservationQuery, type WorkloadObservation } from "../../domain/index.js";
import { buildSnapshot, observeWithKubernetesApi, observeWithPrometheus, renderSnapshot, writeSnapshotFile } from "../../observe/index.js";
import { parseAtOption, parseCountOption as count, parseDurationOption as duration, addStoreOptions, problemCollector, prometheusSource, type PrometheusFlags } from "../inputs.js";
import { printNotice, printText } from "../output.js";

interface SnapshotOptions extends PrometheusFlags {
  prometheus?: string;
  context?: string;
  kubeconfig?: string;
  namespace: string[];
  cluster: string;
  window?: string;
  at?: string;
  output?: string;
  sampleInterval: string;
  sampleDuration: string;
  runs?: string;
  runTimeout: string;
  totalTimeout: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  const command = program
    .command("snapshot")
    .description(
      "Observe live workloads and write an observation snapshot (JSON) for `rightsize plan --snapshot`. " +
        "With --prometheus: history over --window. Otherwise: the Kubernetes API of --context (or the current context) and metrics-server samples.",
    )
    .option("--prometheus <url>", "Prometheus base URL, with any path prefix; credentials from RIGHTSIZE_PROMETHEUS_TOKEN or RIGHTSIZE_PROMETHEUS_USERNAME/PASSWORD")
    .option("--context <name>", "kubeconfig context for the Kubernetes API and metrics-server (default: the current context)")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
    .option("--namespace <namespace>", "namespace to observe (repeat for more)", collect, [])
    .option("--cluster <name>", "cluster name recorded in the snapshot (match the policy's clusters[].name)", "default")
    .option("--window <duration>", "Prometheus history to read, ending at --at (default 7d)")
    .option("--at <time>", "ISO time: end of the Prometheus window, start of sampling (default: now)")
    .option("--output <file>", "write the snapshot here (atomically) instead of stdout")
    .option("--sample-interval <duration>", "metrics-server: time between samples", "15s")
    .option("--sample-duration <duration>", "metrics-server: how long to sample (0: API state only)", "15m")
    .option("--runs <count>", "Jobs/CronJobs: keep watching until this many runs completed (kubenow v0.3 run-based observation)")
    .option("--run-timeout <duration>", "with --runs: longest wait for one run to finish", "1h")
    .option("--total-timeout <duration>", "with --runs: longest observation overall", "48h")
    .option("--timeout <duration>", "per request to Prometheus or the Kubernetes API", "30s")
    .option("--retries <count>", "retries of a failed request, with backoff", "3")
    .option("--ca-file <file>", "Prometheus: CA bundle for its TLS certificate")
    .addOption(new Option("--insecure-skip-tls-verify", "Prometheus: do not verify its TLS certificate"));
  addStoreOptions(command);
  command.action(async (options: SnapshotOptions, command: Command) => {
      await snapshot(options, command);
    });
}

async function snapshot(options: SnapshotOptions, command: Command): Promise<void> {
  if (options.namespace.length === 0) throw new UsageError("--namespace is required (repeat it for several namespaces)");
  if (options.prometheus && (options.context || options.kubeconfig)) throw new UsageError("pass either --prometheus (history) or --context/--kubeconfig (live API and metrics-server), not both");
  const given = (name: string) => command.getOptionValueSource(name) === "cli";
  const at = parseAtOption(options.at) ?? new Date().toISOString();
  const timeoutSeconds = duration(options.timeout, "--timeout");
  const retries = count(options.retries, "--retries", 0);
  const progress = (message: string) => printNotice(`${message}`);
  const { problems, onProblem, requireObserved } = problemCollector(progress);

  let workloads: WorkloadObservation[];
  let queries: Record<string, ObservationQuery> = {};
  if (options.prometheus) {
    for (const flag of ["sampleInterval", "sampleDuration", "runs", "runTimeout", "totalTimeout"]) {
      if (given(flag)) throw new UsageError(`--${kebab(flag)} applies to live observation (--context); with --prometheus, runs and usage come from history`);
    }
    const windowSeconds = duration(options.window ?? "7d", "--window");
    const to = Date.parse(at);
    const window = { from: new Date(to - windowSeconds * 1000).toISOString(), to: at };
    progress(`reading ${options.window ?? "7d"} of history from ${redact(options.prometheus)} for ${options.namespace.join(", ")}`);
    ({ workloads, queries } = await observeWithPrometheus(await prometheusSource(options.prometheus, options, options.cluster), {
      cluster: options.cluster,
      namespaces: options.namespace,
      window,
      onProgress: progress,
      onProblem,
    }));
  } else {
    if (options.window !== undefined) throw new UsageError("--window applies to --prometheus; live observation samples for --sample-duration");
    if (options.caFile || options.insecureSkipTlsVerify) throw new UsageError("--ca-file and --insecure-skip-tls-verify apply to --prometheus; the kubeconfig says how to reach the API");
    const sampling = { intervalSeconds: duration(options.sampleInterval, "--sample-interval"), durationSeconds: duration(options.sampleDuration, "--sample-duration", true) };
    const runs =
      options.runs === undefined
        ? undefined
        : { count: count(options.runs, "--runs", 1), runTimeoutSeconds: duration(options.runTimeout, "--run-timeout"), totalTimeoutSeconds: duration(options.totalTimeout, "--total-timeout") };
    const cancel = new AbortController();
    // Ctrl-C ends sampling early; what was observed so far is still written.
    const onInterrupt = () => {
      progress("interrupted: writing what was observed so far");
      cancel.abort();
    };
    process.once("SIGINT", onInterrupt);
    try {
      workloads = await observeWithKubernetesApi(
        { kubeconfig: loadKubeconfig(options.kubeconfig), ...(options.context ? { context: options.context } : {}), timeoutSeconds, retries },
        {
          cluster: options.cluster,
          namespaces: options.namespace,
          at,
          ...(sampling.durationSeconds > 0 || runs ? { sampling: { ...sampling, signal: cancel.signal } } : {}),
          ...(runs ? { runs } : {}),
          onProgress: progress,
          onProblem,
        },
      );
    } finally {
      process.removeListener("SIGINT", onInterrupt);
    }
  }

  requireObserved(workloads.length);
  const result = buildSnapshot(workloads, new Date().toISOString(), problems, queries);
  const withProblems = result.workloads.filter((workload) => workload.problems.length > 0).length;
  if (options.output) await writeSnapshotFile(options.output, result);
  else printText(renderSnapshot(result));
  progress(
    `${result.workloads.length} workload${result.workloads.length === 1 ? "" : "s"} observed` +
      (withProblems > 0 ? `, ${withProblems} with problems (see "problems" in the snapshot)` : "") +
      (options.output ? `; wrote ${options.output}` : ""),
  );
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** The URL as shown in progress lines: any user:password in it is left out. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

function loadKubeconfig(file: string | undefined): KubeConfig {
  const kubeconfig = new KubeConfig();
  try {
    if (file) kubeconfig.loadFromFile(file);
    else kubeconfig.loadFromDefault();
  } catch (error) {
    throw new InputError(`cannot load the kubeconfig${file ? ` ${file}` : ""}: ${(error as Error).message}`, file ? { file } : {});
  }
  return kubeconfig;
}
