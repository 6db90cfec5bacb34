import type { Command } from "commander";
import { alignColumns, EXIT, UsageError, workloadKey } from "../../domain/index.js";
import { diagnosePlan, type ProposalResult, type RepositoryRun } from "../../pipeline/index.js";
import type { Paint, Tone } from "../../recommend/index.js";
import { addOutputOptions, parseOutputFormat, printNotice, printOutput, type OutputFlags, type Rows } from "../output.js";
import { addPipelineOptions, printDiagnosis, requireRepoDirectory, type PipelineOptions } from "../pipeline-options.js";
import { runProposals } from "../run-proposals.js";
import { addSelectionOptions, isEverything, parseSelection, requireKnown, type SelectionFlags } from "../selection.js";
import { planWorkloads } from "../views.js";

interface ProposeOptions extends PipelineOptions, SelectionFlags, OutputFlags {
  local?: boolean;
  githubToken?: string;
  githubRepo?: string;
  githubApiUrl?: string;
  remote: string;
}

/** Where `--local` writes pull request bodies, in the checkout; git ignores it through `.git/info/exclude`. */
const LOCAL_BODIES = ".rightsize/out/";

export function register(program: Command): void {
  const command = program
    .command("propose")
    .description(
      `Plan, then write one branch per proposal (rightsize/<cluster>/<namespace>/<kind>-<name>) with the edit and its decision record; --local keeps branches local and writes PR bodies to ${LOCAL_BODIES} (ignored by git), --github-token pushes and opens or updates pull requests. Exit 0, or 1 when a workload is blocked, none matched an observation, or a proposal could not be written.`,
    );
  addSelectionOptions(command);
  addPipelineOptions(command)
    .option("--local", `keep branches local; write PR bodies to ${LOCAL_BODIES} (listed in .git/info/exclude, so git ignores them)`)
    .option("--github-token <token>", "push and open pull requests (default: $GITHUB_TOKEN when --local is not given)")
    .option("--github-repo <owner/name>", "the GitHub repository (default: read from the remote's URL)")
    .option("--github-api-url <url>", "GitHub API URL (default: $GITHUB_API_URL, GitHub Enterprise via $GHE_HOST, else https://api.github.com)")
    .option("--remote <name>", "the git remote to push to", "origin");
  addOutputOptions(command).action(async (words: string[], options: ProposeOptions) => {
    const format = parseOutputFormat(options.output);
    const selection = parseSelection(words, options);
    const token = options.local ? undefined : (options.githubToken ?? process.env.GITHUB_TOKEN);
    if (!options.local && !token) throw new UsageError("choose --local (branches stay here) or --github-token TOKEN (push and open pull requests)");
    if (options.local && options.githubToken) throw new UsageError("--local and --github-token exclude each other");
    const run = await runProposals(
      {
        repoDir: await requireRepoDirectory(options.repo),
        ...(options.policy ? { policyFile: options.policy } : {}),
        ...(options.snapshot ? { snapshot: options.snapshot } : {}),
        ...(options.at ? { at: options.at } : {}),
        selection,
      },
      token
        ? { token, remote: options.remote, ...(options.githubRepo ? { repository: options.githubRepo } : {}), ...(options.githubApiUrl ? { apiUrl: options.githubApiUrl } : {}) }
        : undefined,
    );
    printNotice(describeBase(run, options.policy !== undefined));
    printOutput(format, options, {
      data: () => run.results,
      table: (paint) => renderProposals(run.results, run.plan.proposalsPaused, paint),
      rows: () => proposalRows(run.results),
    });
    if (options.local && run.results.some((result) => result.bodyPath)) printNotice(`pull request bodies are in ${LOCAL_BODIES} of the checkout, which git ignores (listed in .git/info/exclude)`);
    const diagnosis = diagnosePlan(run.plan, run.snapshot);
    printDiagnosis(diagnosis);
    if (!isEverything(selection) && !diagnosis.nothingMatched) requireKnown(selection, planWorkloads(run.plan), "in the repository or its observations");
    // The same findings as plan (exit 1): a blocked workload, nothing matched; and proposals that could not be written.
    const blocked = run.selected.some((workload) => workload.record.decision.action === "blocked");
    if (blocked || diagnosis.nothingMatched) process.exitCode = EXIT.finding;
    if (run.plan.proposalsPaused && !run.loaded.canPropose) process.exitCode = EXIT.finding;
    if (run.results.some((result) => result.status === "foreign" || result.status === "refused")) process.exitCode = EXIT.finding;
    if (run.results.some((result) => result.status === "failed")) process.exitCode = EXIT.external;
  });
}

const STATUS_TONES: Partial<Record<ProposalResult["status"], Tone>> = { failed: "bad", foreign: "warn", refused: "warn" };

export function renderProposals(results: readonly ProposalResult[], paused: string | undefined, paint?: Paint): string {
  if (paused) return `No proposals: ${paused}.\n`;
  if (results.length === 0) return "No proposals: every workload is on hold or blocked (see `rightsize plan`).\n";
  const rows = [["BRANCH", "STATUS", "WORKLOADS", "DETAIL"]];
  for (const result of results) {
    const detail = result.pullRequestUrl ?? result.bodyPath ?? result.reason ?? "";
    rows.push([result.branch, result.status, result.workloads.map(workloadKey).join(", "), detail]);
  }
  const tone = (row: number) => (row > 0 ? STATUS_TONES[results[row - 1]!.status] : undefined);
  return `${alignColumns(rows, paint ? (cell, row, column) => (column === 1 && tone(row) ? paint(cell, tone(row)!) : cell) : undefined)}\n`;
}

/** One row per proposal and workload (a namespace proposal holds several). */
export function proposalRows(results: readonly ProposalResult[]): Rows {
  return {
    columns: ["branch", "status", "cluster", "namespace", "kind", "name", "pull_request", "body", "reason"],
    rows: results.flatMap((result) =>
      result.workloads.map((ref) => [result.branch, result.status, ref.cluster, ref.namespace, ref.kind, ref.name, result.pullRequestUrl, result.bodyPath, result.reason]),
    ),
  };
}

/** Which commit was read: the manifests come from it, and the policy too unless --policy named a file on disk. */
export function describeBase(run: Pick<RepositoryRun, "base" | "loaded">, policyFromDisk = false): string {
  const from = `proposals from ${run.base.branch} at ${run.base.commit.slice(0, 12)}`;
  if (policyFromDisk) return `${from}, with the policy ${run.loaded.source.path} as it is on disk (not the commit's)`;
  return `${from}, with the policy ${run.loaded.source.path}${run.loaded.source.path.startsWith("(") ? "" : " of that commit"}`;
}
