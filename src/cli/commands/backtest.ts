import { Command, Option } from "commander";
import { observeTrace, renderBacktestMarkdown, renderBacktestText, replayOfTrace, runBacktest, traceWindow, type BacktestPolicy, type BacktestReport, type ReplayUsage } from "../../backtest/index.js";
import { parseUsageTraceText, UsageError, type WorkloadObservation } from "../../domain/index.js";
import { observeUsageWithPrometheus, observeWithPrometheus } from "../../observe/index.js";
import { DEFAULT_POLICY_PATH } from "../../policy/index.js";
import { TOOL } from "../../version.js";
import { addStoreOptions, loadPolicyWithWarnings, parseAtOption, parseDurationOption, problemCollector, prometheusSource, readInputFile, type PrometheusFlags } from "../inputs.js";
import { addOutputOptions, parseOutputFormat, printNotice, printOutput, printProgress, type OutputFlags, type Rows } from "../output.js";

interface BacktestOptions extends PrometheusFlags, OutputFlags {
  prometheus?: string;
  trace?: string;
  namespace?: string[];
  cluster?: string;
  window?: string;
  split?: string;
  at?: string;
  policy?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * SPEC §11 `rightsize backtest`: observe the first part of a window, recommend with each policy,
 * replay the measured usage of the rest against the recommendation, and print per workload and in
 * total what each policy saves and how often usage went above the new requests and limits.
 */
export function register(program: Command): void {
  const command = program
    .command("backtest")
    .description(
      "Replay policies over history before trusting them: recommend on the first part of --window, replay the last --split against it, and compare savings (cores, GiB, money) and shortfalls side by side. " +
        "Reads Prometheus (--prometheus, --namespace) or an offline usage trace (--trace, schemas/trace.schema.json).",
    )
    .option("--prometheus <url>", "Prometheus base URL; credentials from RIGHTSIZE_PROMETHEUS_TOKEN or RIGHTSIZE_PROMETHEUS_USERNAME/PASSWORD")
    .option("--trace <file>", "usage trace (JSON, schemas/trace.schema.json) to replay offline instead of Prometheus")
    .option("-n, --namespace <namespace>", "with --prometheus: namespace to replay (repeat for more)", collect)
    .option("--cluster <name>", "cluster name the records carry (default: default, or the trace's)")
    .option("--window <duration>", "history to replay, ending at --at (default: 14d from Prometheus, the whole trace)")
    .option("--split <duration>", "the replayed part at the end of the window (default: half the window)")
    .option("--at <time>", "with --prometheus: ISO time the window ends (default: now)")
    .option("--policy <file>", `policy to replay (repeat to compare; default: ${DEFAULT_POLICY_PATH} when present, else the defaults)`, collect)
    .option("--timeout <duration>", "per request to Prometheus", "30s")
    .option("--retries <count>", "retries of a failed request, with backoff", "3")
    .option("--ca-file <file>", "Prometheus: CA bundle for its TLS certificate")
    .addOption(new Option("--insecure-skip-tls-verify", "Prometheus: do not verify its TLS certificate"));
  addStoreOptions(command);
  addOutputOptions(command).action(async (options: BacktestOptions) => {
      await backtest(options);
    });
}

async function backtest(options: BacktestOptions): Promise<void> {
  const format = parseOutputFormat(options.output);
  if (Boolean(options.prometheus) === Boolean(options.trace)) throw new UsageError("pass either --prometheus (with --namespace) or --trace FILE");
  const namespaces = options.namespace ?? [];
  const policies: BacktestPolicy[] = [];
  for (const file of options.policy && options.policy.length > 0 ? options.policy : [undefined]) {
    const loaded = await loadPolicyWithWarnings(file);
    policies.push({ policy: loaded.policy, source: loaded.source });
  }
  const windowSeconds = options.window === undefined ? undefined : parseDurationOption(options.window, "--window");
  const splitSeconds = options.split === undefined ? undefined : parseDurationOption(options.split, "--split");

  let observations: WorkloadObservation[];
  let replay: ReplayUsage[];
  let window: { from: string; split: string; to: string };
  if (options.trace) {
    if (namespaces.length > 0 || options.at) throw new UsageError("--namespace and --at apply to --prometheus; a trace holds its own workloads and times");
    const trace = parseUsageTraceText(await readInputFile(options.trace, "the usage trace", "; schemas/trace.schema.json describes the format"), options.trace);
    const times = traceWindow(trace, windowSeconds, splitSeconds);
    observations = observeTrace(trace, times, options.cluster);
    replay = replayOfTrace(trace, times, options.cluster);
    window = { from: iso(times.from), split: iso(times.split), to: iso(times.to) };
  } else {
    if (namespaces.length === 0) throw new UsageError("--namespace is required with --prometheus (repeat it for several namespaces)");
    const to = Date.parse(parseAtOption(options.at) ?? new Date().toISOString()) / 1000;
    const length = windowSeconds ?? 14 * 86_400;
    const replayed = splitSeconds ?? length / 2;
    if (!(replayed > 0 && replayed < length)) throw new UsageError(`--split must be shorter than --window and longer than 0`);
    window = { from: iso(to - length), split: iso(to - replayed), to: iso(to) };
    const source = await prometheusSource(options.prometheus!, options, options.cluster ?? "default");
    const { onProblem, requireObserved } = problemCollector(printNotice);
    const request = { cluster: options.cluster ?? "default", namespaces, onProgress: printProgress, onProblem };
    printNotice(`observing ${window.from} → ${window.split}, replaying ${window.split} → ${window.to}`);
    observations = (await observeWithPrometheus(source, { ...request, window: { from: window.from, to: window.split } })).workloads;
    replay = await observeUsageWithPrometheus(source, { ...request, window: { from: window.split, to: window.to } });
    requireObserved(observations.length);
  }

  const report = runBacktest({ tool: TOOL, observations, replay, policies, window });
  printOutput(format, options, { data: () => report, table: () => renderBacktestText(report), rows: () => backtestRows(report), markdown: () => renderBacktestMarkdown(report) });
}

/** One row per policy and container: what it would have saved and how often the replayed usage went above it. */
function backtestRows(report: BacktestReport): Rows {
  return {
    columns: ["policy", "cluster", "namespace", "kind", "name", "container", "decision", "action", "cpu_cores_saved", "memory_gib_saved", "monthly_saved", "currency", "cpu_samples", "cpu_above_request", "memory_samples", "memory_above_request", "samples_above_limit"],
    rows: report.policies.flatMap((policy) =>
      policy.workloads.flatMap((workload) =>
        workload.containers.map((container) => [
          policy.path,
          workload.workload.cluster,
          workload.workload.namespace,
          workload.workload.kind,
          workload.workload.name,
          container.name,
          workload.decision,
          container.action,
          container.cpuCoresSaved,
          container.memoryGiBSaved,
          Math.round(container.monthlySaved * 100) / 100,
          policy.currency,
          container.score.cpuSamples,
          container.score.cpuAbove,
          container.score.memorySamples,
          container.score.memoryAbove,
          container.score.aboveLimit,
        ]),
      ),
    ),
  };
}

function iso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(".000Z", "Z");
}
