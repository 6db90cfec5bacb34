import type { Command } from "commander";
import { alignColumns, code, EXIT, workloadKey, type WorkloadObservation } from "../../domain/index.js";
import { GitWorkspace, isRolledOut, mergedProposalsInHistory, verifyWorkload, type ResourceCheck, type WorkloadCheck } from "../../pipeline/index.js";
import type { Paint, Tone } from "../../recommend/index.js";
import { loadPolicyWithWarnings } from "../inputs.js";
import { addOutputOptions, parseOutputFormat, printNotice, printOutput, renderMarkdownTable, type OutputFlags, type Rows } from "../output.js";
import { requireRepoDirectory } from "../pipeline-options.js";
import { observe } from "../run-proposals.js";
import { displayUsage } from "../views.js";

interface VerifyOptions extends OutputFlags {
  repo: string;
  policy?: string;
  snapshot?: string;
  at?: string;
}

interface Verified {
  workload: string;
  commit: string;
  mergedAt: string;
  rolledOut: boolean;
  check?: WorkloadCheck;
}

/** One resource of one container, as every view shows it: the usage judged (the CPU sizing percentile, or the memory peak) against the merged request. */
interface VerifiedRow {
  cluster: string;
  workload: string;
  commit: string;
  container: string;
  resource: "cpu" | "memory";
  request: string;
  /** `p90` (recommend.cpu.percentile) for CPU, `peak` for memory. */
  judgedOn: string;
  /** That usage, in cores or bytes. */
  usage: number;
  share: number;
  peak: number;
  verdict: string;
  oomKills: number;
}

const VERDICT_TONES: Record<string, Tone> = { fits: "good", tight: "warn", wrong: "bad" };

export function register(program: Command): void {
  const command = program
    .command("verify")
    .description(
      "The check after merge for proposals found in git history (commits with the Rightsize-Decision trailer): per container the usage judged against the merged request and a verdict: CPU by its sizing percentile (recommend.cpu.percentile, p90 by default), memory by its peak: fits (< 80% of the request), tight (80–95%), wrong (> 95% or an OOM kill). Exit 1 when a verdict is wrong.",
    )
    .option("--repo <dir>", "the config repo checkout", ".")
    .option("--policy <file>", "policy file (default: <repo>/.github/rightsize.yml when present)")
    .option("--snapshot <file>", "an observation snapshot taken after the rollout (default: observe live)")
    .option("--at <time>", "evaluation time, ISO 8601");
  addOutputOptions(command).action(async (options: VerifyOptions) => {
    const format = parseOutputFormat(options.output);
    const repoDir = await requireRepoDirectory(options.repo);
    const workspace = new GitWorkspace(repoDir);
    const branch = await workspace.defaultBranch();
    const merged = await mergedProposalsInHistory(repoDir, branch);
    if (merged.length === 0) {
      printNotice(`no merged proposal on ${branch} (no commit with a Rightsize-Decision trailer and a decision record)`);
      // The machine formats still print their empty document, so a script reads "nothing" rather than fails to parse.
      if (format !== "table" && format !== "markdown") printOutput(format, options, { data: () => [], table: () => "", rows: () => csvRows([], []) });
      return;
    }
    const loaded = await loadPolicyWithWarnings(options.policy, repoDir);
    const { snapshot } = await observe({ ...(options.snapshot ? { snapshot: options.snapshot } : {}), ...(options.at ? { at: options.at } : {}) }, loaded);
    const percentile = loaded.policy.recommend.cpu.percentile;
    const observations = new Map<string, WorkloadObservation>();
    const verified: Verified[] = merged.map((proposal) => {
      const observation = snapshot.workloads.find((candidate) => workloadKey(candidate.workload) === proposal.key);
      const rolledOut = observation !== undefined && isRolledOut(proposal.merged, observation);
      if (observation) observations.set(proposal.key, observation);
      return { workload: proposal.key, commit: proposal.commit, mergedAt: proposal.at, rolledOut, ...(observation && rolledOut ? { check: verifyWorkload(proposal.key, proposal.merged, observation, percentile) } : {}) };
    });
    const rows = verified.flatMap((entry) => rowsOf(entry, observations.get(entry.workload), percentile));
    printOutput(format, options, {
      data: () => verified,
      table: (paint) => renderTable(verified, rows, paint),
      rows: () => csvRows(verified, rows),
      markdown: () => renderMarkdown(verified, rows),
    });
    if (verified.some((entry) => entry.check?.verdict === "wrong")) process.exitCode = EXIT.finding;
  });
}

function rowsOf(entry: Verified, observation: WorkloadObservation | undefined, percentile: string): VerifiedRow[] {
  if (!entry.check) return [];
  const [cluster, ...rest] = entry.workload.split("/");
  return entry.check.containers.flatMap((container) =>
    container.resources.map((resource: ResourceCheck) => {
      const statistics = observation?.containers.find((candidate) => candidate.name === container.container)?.[resource.resource];
      const usage = resource.resource === "cpu" ? (statistics?.[percentile as "p90"] ?? 0) : resource.peak;
      return {
        cluster: cluster!,
        workload: rest.join("/"),
        commit: entry.commit.slice(0, 7),
        container: container.container,
        resource: resource.resource,
        request: resource.request,
        judgedOn: resource.judged,
        usage,
        share: resource.ratio,
        peak: resource.peak,
        verdict: `${resource.verdict}${container.oomKills > 0 && resource.resource === "memory" ? ` (${container.oomKills} OOM kill${container.oomKills === 1 ? "" : "s"})` : ""}`,
        oomKills: container.oomKills,
      };
    }),
  );
}

const HEADER = ["CLUSTER", "WORKLOAD", "MERGED", "CONTAINER", "RESOURCE", "REQUEST", "JUDGED ON", "USAGE", "OF REQUEST", "VERDICT"];

function cells(row: VerifiedRow): string[] {
  return [row.cluster, row.workload, row.commit, row.container, row.resource, row.request, row.judgedOn, displayUsage(row.usage, row.resource), `${(row.share * 100).toFixed(0)}%`, row.verdict];
}

function notRolledOut(entry: Verified): string[] {
  const [cluster, ...rest] = entry.workload.split("/");
  return [cluster!, rest.join("/"), entry.commit.slice(0, 7), "—", "—", "—", "—", "—", "—", "not rolled out"];
}

function tableRows(verified: readonly Verified[], rows: readonly VerifiedRow[]): { cells: string[]; tone?: Tone }[] {
  return verified.flatMap((entry) => {
    if (!entry.check) return [{ cells: notRolledOut(entry) }];
    return rows.filter((row) => `${row.cluster}/${row.workload}` === entry.workload && row.commit === entry.commit.slice(0, 7)).map((row) => ({ cells: cells(row), tone: VERDICT_TONES[row.verdict.split(" ")[0]!] }));
  });
}

function renderTable(verified: readonly Verified[], rows: readonly VerifiedRow[], paint: Paint | undefined): string {
  const body = tableRows(verified, rows);
  const style = paint ? (cell: string, row: number, column: number) => (row > 0 && column === HEADER.length - 1 && body[row - 1]!.tone ? paint(cell, body[row - 1]!.tone!) : cell) : undefined;
  return `${alignColumns([HEADER, ...body.map((row) => row.cells)], style)}\n`;
}

/** The same table in markdown, and each container's evidence under it. */
function renderMarkdown(verified: readonly Verified[], rows: readonly VerifiedRow[]): string {
  const table = renderMarkdownTable({ columns: HEADER.map((name) => name.charAt(0) + name.slice(1).toLowerCase()), rows: tableRows(verified, rows).map((row) => row.cells) });
  const evidence = verified.flatMap((entry) =>
    (entry.check?.containers ?? []).map((container) => {
      const unknown = (evidence: string) => container.unknown?.find((candidate) => candidate.evidence === evidence);
      const said = (evidence: string, what: string, known: string) => (unknown(evidence) ? `${what} unknown (no ${code(unknown(evidence)!.metric)})` : known);
      const kills = said("oomKills", "OOM kills", `${container.oomKills} OOM kill${container.oomKills === 1 ? "" : "s"}`);
      const restarts = said("restarts", "restarts", `${container.restarts} restart${container.restarts === 1 ? "" : "s"}`);
      const throttling = said("throttling", "CPU throttling", `CPU throttled in ${(container.throttledRatio * 100).toFixed(1)}% of periods`);
      return `- ${code(entry.workload)} ${code(container.container)}: ${kills}, ${restarts}, ${throttling}; **${container.verdict}**.`;
    }),
  );
  return `${table}${evidence.length > 0 ? `\n${evidence.join("\n")}\n` : ""}`;
}

function csvRows(verified: readonly Verified[], rows: readonly VerifiedRow[]): Rows {
  return {
    columns: ["cluster", "namespace", "kind", "name", "merged_commit", "rolled_out", "container", "resource", "request", "judged_on", "usage", "share_percent", "peak", "verdict", "oom_kills"],
    rows: verified.flatMap((entry): Rows["rows"] => {
      const [cluster, namespace, kind, name] = entry.workload.split("/");
      const mine = rows.filter((row) => `${row.cluster}/${row.workload}` === entry.workload && row.commit === entry.commit.slice(0, 7));
      if (!entry.check) return [[cluster, namespace, kind, name, entry.commit, false, null, null, null, null, null, null, null, null, null]];
      return mine.map((row) => [cluster, namespace, kind, name, entry.commit, true, row.container, row.resource, row.request, row.judgedOn, row.usage, Math.round(row.share * 1000) / 10, row.peak, row.verdict.split(" ")[0], row.oomKills]);
    }),
  };
}
