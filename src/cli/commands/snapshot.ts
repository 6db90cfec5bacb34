import { KubeConfig } from "@kubernetes/client-node";
import { Command, Option } from "commander";
import { alignColumns, InputError, UsageError, type ObservationQuery, type ObservationSnapshot, type WorkloadObservation } from "../../domain/index.js";
import {
  buildSnapshot,
  discoverKubernetesNamespaces,
  discoverPrometheusNamespaces,
  observeWithKubernetesApi,
  observeWithPrometheus,
  renderSnapshot,
  writeSnapshotFile,
  type KubernetesConnectionOptions,
  type PrometheusSourceOptions,
} from "../../observe/index.js";
import { isSelected } from "../../pipeline/index.js";
import { DEFAULT_POLICY_PATH, isNamespaceSelected, isWorkloadSelected, type Policy } from "../../policy/index.js";
import type { Paint } from "../../recommend/index.js";
import { parseAtOption, parseCountOption as count, parseDurationOption as duration, addStoreOptions, loadPolicyWithWarnings, problemCollector, prometheusSource, type PrometheusFlags } from "../inputs.js";
import { addOutputOptions, OUTPUT_FORMATS, parseOutputFormat, printNotice, printOutput, printProgress, printText, type OutputFlags, type Rows } from "../output.js";
import { parseSelection, requireKnown, TARGETS_HELP } from "../selection.js";
import { displayUsage } from "../views.js";

interface SnapshotOptions extends PrometheusFlags, OutputFlags {
  prometheus?: string;
  context?: string;
  kubeconfig?: string;
  namespace?: string[];
  allNamespaces?: boolean;
  policy?: string;
  cluster: string;
  window?: string;
  at?: string;
  outputFile?: string;
  sampleInterval: string;
  sampleDuration: string;
  runs?: string;
  runTimeout: string;
  totalTimeout: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  const command = program
    .command("snapshot")
    .description(
      "Observe live workloads and write an observation snapshot (JSON) for `rightsize plan --snapshot`. " +
        "With --prometheus: history over --window. Otherwise: the Kubernetes API of --context (or the current context) and metrics-server samples. " +
        "Without --namespace, -A or workloads that name theirs, it observes what the policy selects (selector.namespaces and selector.kinds).",
    )
    .argument("[workloads...]", TARGETS_HELP)
    .option("--prometheus <url>", "Prometheus base URL, with any path prefix; credentials from RIGHTSIZE_PROMETHEUS_TOKEN or RIGHTSIZE_PROMETHEUS_USERNAME/PASSWORD")
    .option("--context <name>", "kubeconfig context for the Kubernetes API and metrics-server (default: the current context)")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
    .option("-n, --namespace <namespace>", "namespace to observe (repeat for more; default: the policy's selection)", collect)
    .option("-A, --all-namespaces", "observe every namespace, whatever the policy selects")
    .option("--policy <file>", `with neither --namespace nor -A: the policy whose selector chooses namespaces and kinds (default: ${DEFAULT_POLICY_PATH} when present, else the defaults)`)
    .option("--cluster <name>", "cluster name recorded in the snapshot (match the policy's clusters[].name)", "default")
    .option("--window <duration>", "Prometheus history to read, ending at --at (default 7d)")
    .option("--at <time>", "ISO time: end of the Prometheus window, start of sampling (default: now)")
    .option("--output-file <file>", "write the snapshot (JSON) here, atomically, instead of stdout")
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
  addOutputOptions(command, "json").action(async (words: string[], options: SnapshotOptions, command: Command) => {
    await snapshot(words, options, command);
  });
}

/**
 * `--output FILE` wrote the snapshot to a file before `--output` named the format: a value that
 * looks like a path (a `/` or a `.`) still does, with a notice; a mistyped format is an error.
 */
function outputTarget(options: SnapshotOptions): { format: ReturnType<typeof parseOutputFormat>; file?: string } {
  const legacyFile = !(OUTPUT_FORMATS as readonly string[]).includes(options.output) && options.output !== "text" && /[/.]/.test(options.output);
  if (legacyFile) {
    if (options.outputFile !== undefined) throw new UsageError("--output names the format; pass the file as --output-file only");
    printNotice(`--output FILE is deprecated; use --output-file ${options.output} (--output now names the format)`);
    return { format: "json", file: options.output };
  }
  const format = parseOutputFormat(options.output);
  if (options.outputFile !== undefined && format !== "json") throw new UsageError(`--output-file writes the snapshot as JSON, the format plan and recommend read; drop --output ${options.output}`);
  return { format, ...(options.outputFile !== undefined ? { file: options.outputFile } : {}) };
}

async function snapshot(words: string[], options: SnapshotOptions, command: Command): Promise<void> {
  const output = outputTarget(options);
  const namespaces = options.namespace ?? [];
  if (namespaces.length > 0 && options.allNamespaces) throw new UsageError("-n/--namespace and -A/--all-namespaces exclude each other");
  const selection = parseSelection(words, {});
  for (const target of selection.targets) {
    if (namespaces.length > 0 && target.namespace !== undefined && !namespaces.includes(target.namespace)) {
      throw new UsageError(`${target.namespace}/${target.kind.toLowerCase()}/${target.name} is in namespace ${target.namespace}, which --namespace does not name; add it or drop the namespace from the workload`);
    }
  }
  if (options.prometheus && (options.context || options.kubeconfig)) throw new UsageError("pass either --prometheus (history) or --context/--kubeconfig (live API and metrics-server), not both");
  if (options.policy && (namespaces.length > 0 || options.allNamespaces)) throw new UsageError("--policy chooses the namespaces when neither --namespace nor -A does; drop one of them");
  const given = (name: string) => command.getOptionValueSource(name) === "cli";
  const at = parseAtOption(options.at) ?? new Date().toISOString();
  const timeoutSeconds = duration(options.timeout, "--timeout");
  const retries = count(options.retries, "--retries", 0);
  const { problems, onProblem, requireObserved } = problemCollector(printNotice);

  // Which namespaces: --namespace, -A (all), the namespaces the workloads name, or the policy's selection.
  const targetNamespaces = selection.targets.length > 0 && selection.targets.every((target) => target.namespace !== undefined) ? [...new Set(selection.targets.map((target) => target.namespace!))] : undefined;
  const policy = namespaces.length === 0 && !options.allNamespaces && !targetNamespaces ? (await loadPolicyWithWarnings(options.policy)).policy : undefined;
  const chosen = async (discover: () => Promise<string[]>): Promise<string[]> => {
    if (namespaces.length > 0) return namespaces;
    if (targetNamespaces) return targetNamespaces;
    if (policy && policy.selector.namespaces.allow.length > 0) return policy.selector.namespaces.allow.filter((namespace) => isNamespaceSelected(policy, namespace));
    const all = await discover();
    return policy ? all.filter((namespace) => isNamespaceSelected(policy, namespace)) : all;
  };
  const described = (list: readonly string[]) => (list.length > 0 ? list.join(", ") : "no namespace");

  let workloads: WorkloadObservation[];
  let queries: Record<string, ObservationQuery> = {};
  if (options.prometheus) {
    for (const flag of ["sampleInterval", "sampleDuration", "runs", "runTimeout", "totalTimeout"]) {
      if (given(flag)) throw new UsageError(`--${kebab(flag)} applies to live observation (--context); with --prometheus, runs and usage come from history`);
    }
    const windowSeconds = duration(options.window ?? "7d", "--window");
    const to = Date.parse(at);
    const window = { from: new Date(to - windowSeconds * 1000).toISOString(), to: at };
    const source: PrometheusSourceOptions = await prometheusSource(options.prometheus, options, options.cluster);
    const observed = await chosen(() => discoverPrometheusNamespaces(source, window));
    printNotice(`reading ${options.window ?? "7d"} of history from ${redact(options.prometheus)} for ${described(observed)}`);
    ({ workloads, queries } =
      observed.length === 0 ? { workloads: [], queries: {} } : await observeWithPrometheus(source, { cluster: options.cluster, namespaces: observed, window, onProgress: printProgress, onProblem }));
  } else {
    if (options.window !== undefined) throw new UsageError("--window applies to --prometheus; live observation samples for --sample-duration");
    if (options.caFile || options.insecureSkipTlsVerify) throw new UsageError("--ca-file and --insecure-skip-tls-verify apply to --prometheus; the kubeconfig says how to reach the API");
    const sampling = { intervalSeconds: duration(options.sampleInterval, "--sample-interval"), durationSeconds: duration(options.sampleDuration, "--sample-duration", true) };
    const runs =
      options.runs === undefined
        ? undefined
        : { count: count(options.runs, "--runs", 1), runTimeoutSeconds: duration(options.runTimeout, "--run-timeout"), totalTimeoutSeconds: duration(options.totalTimeout, "--total-timeout") };
    const connection: KubernetesConnectionOptions = { kubeconfig: loadKubeconfig(options.kubeconfig), ...(options.context ? { context: options.context } : {}), timeoutSeconds, retries };
    const observed = await chosen(() => discoverKubernetesNamespaces(connection));
    const cancel = new AbortController();
    // Ctrl-C ends sampling early; what was observed so far is still written.
    const onInterrupt = () => {
      printNotice("interrupted: writing what was observed so far");
      cancel.abort();
    };
    process.once("SIGINT", onInterrupt);
    try {
      workloads =
        observed.length === 0
          ? []
          : await observeWithKubernetesApi(connection, {
              cluster: options.cluster,
              namespaces: observed,
              at,
              ...(sampling.durationSeconds > 0 || runs ? { sampling: { ...sampling, signal: cancel.signal } } : {}),
              ...(runs ? { runs } : {}),
              onProgress: printProgress,
              onProblem,
            });
    } finally {
      process.removeListener("SIGINT", onInterrupt);
    }
  }

  requireObserved(workloads.length);
  if (policy) workloads = workloads.filter((observation) => isWorkloadSelected(policy as Policy, observation.workload));
  if (selection.targets.length > 0) {
    requireKnown(selection, workloads.map((observation) => observation.workload), "observed");
    workloads = workloads.filter((observation) => isSelected(selection, observation.workload));
  }
  const result = buildSnapshot(workloads, new Date().toISOString(), problems, queries);
  const withProblems = result.workloads.filter((workload) => workload.problems.length > 0).length;
  if (output.file) await writeSnapshotFile(output.file, result);
  else if (output.format === "json") printText(renderSnapshot(result));
  else printOutput(output.format, options, { data: () => result, table: (paint) => renderTable(result, paint), rows: () => snapshotRows(result) });
  printNotice(
    `${result.workloads.length} workload${result.workloads.length === 1 ? "" : "s"} observed` +
      (withProblems > 0 ? `, ${withProblems} with problems (see "problems" in the snapshot)` : "") +
      (output.file ? `; wrote ${output.file}` : ""),
  );
}

/** One row per container: what the snapshot holds for it (usage in cores and bytes; evidence it could not measure is empty). */
function snapshotRows(snapshot: ObservationSnapshot): Rows {
  return {
    columns: ["cluster", "namespace", "kind", "name", "container", "source", "mode", "pods", "coverage", "cpu_p95", "cpu_max", "memory_max", "oom_kills", "restarts", "throttled_ratio"],
    rows: snapshot.workloads.flatMap(({ workload, source, mode, pods, coverage, containers }) =>
      containers.map((container) => [
        workload.cluster,
        workload.namespace,
        workload.kind,
        workload.name,
        container.name,
        source,
        mode,
        pods,
        coverage,
        container.cpu?.p95,
        container.cpu?.max,
        container.memory?.max,
        container.unknown?.oomKills ? null : container.oomKills.length,
        container.unknown?.restarts ? null : container.restarts,
        container.unknown?.throttling ? null : container.throttledRatio,
      ]),
    ),
  };
}

function renderTable(snapshot: ObservationSnapshot, paint: Paint | undefined): string {
  if (snapshot.workloads.length === 0) return "no workloads observed\n";
  const rows = [["CLUSTER", "WORKLOAD", "CONTAINER", "PODS", "CPU P95", "CPU MAX", "MEMORY MAX", "OOM KILLS", "RESTARTS"]];
  const kills: number[] = [];
  for (const { workload, pods, containers } of snapshot.workloads) {
    for (const container of containers) {
      kills.push(container.oomKills.length);
      rows.push([
        workload.cluster,
        `${workload.namespace}/${workload.kind}/${workload.name}`,
        container.name,
        String(pods),
        container.cpu ? displayUsage(container.cpu.p95, "cpu") : "-",
        container.cpu ? displayUsage(container.cpu.max, "cpu") : "-",
        container.memory ? displayUsage(container.memory.max, "memory") : "-",
        container.unknown?.oomKills ? "unknown" : String(container.oomKills.length),
        container.unknown?.restarts ? "unknown" : String(container.restarts),
      ]);
    }
  }
  return `${alignColumns(rows, paint ? (cell, row, column) => (row > 0 && column === 7 && kills[row - 1]! > 0 ? paint(cell, "bad") : cell) : undefined)}\n`;
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
