import type { Command } from "commander";
import { alignColumns, EXIT, UsageError, workloadKey } from "../../domain/index.js";
import { diagnosePlan, type ProposalResult, type RepositoryRun } from "../../pipeline/index.js";
import { parseOutputFormat, printJson, printNotice, printText } from "../output.js";
import { addPipelineOptions, printDiagnosis, requireRepoDirectory, type PipelineOptions } from "../pipeline-options.js";
import { runProposals } from "../run-proposals.js";

interface ProposeOptions extends PipelineOptions {
  local?: boolean;
  githubToken?: string;
  githubRepo?: string;
  githubApiUrl?: string;
  remote: string;
  output: string;
}

export function register(program: Command): void {
  addPipelineOptions(
    program
      .command("propose")
      .description(
        "Plan, then write one branch per proposal (rightsize/<cluster>/<namespace>/<kind>-<name>) with the edit and its decision record; --local keeps branches local and writes PR bodies to .rightsize/out/, --github-token pushes and opens or updates pull requests. Exit 0, or 1 when a workload is blocked, none matched an observation, or a proposal could not be written.",
      ),
  )
    .option("--local", "keep branches local; write PR bodies to .rightsize/out/")
    .option("--github-token <token>", "push and open pull requests (default: $GITHUB_TOKEN when --local is not given)")
    .option("--github-repo <owner/name>", "the GitHub repository (default: read from the remote's URL)")
    .option("--github-api-url <url>", "GitHub API URL (default: $GITHUB_API_URL, GitHub Enterprise via $GHE_HOST, else https://api.github.com)")
    .option("--remote <name>", "the git remote to push to", "origin")
    .option("--output <format>", "text or json", "text")
    .action(async (options: ProposeOptions) => {
      const format = parseOutputFormat(options.output);
      const token = options.local ? undefined : (options.githubToken ?? process.env.GITHUB_TOKEN);
      if (!options.local && !token) throw new UsageError("choose --local (branches stay here) or --github-token TOKEN (push and open pull requests)");
      if (options.local && options.githubToken) throw new UsageError("--local and --github-token exclude each other");
      const run = await runProposals(
        {
          repoDir: await requireRepoDirectory(options.repo),
          ...(options.policy ? { policyFile: options.policy } : {}),
          ...(options.snapshot ? { snapshot: options.snapshot } : {}),
          ...(options.at ? { at: options.at } : {}),
        },
        token
          ? { token, remote: options.remote, ...(options.githubRepo ? { repository: options.githubRepo } : {}), ...(options.githubApiUrl ? { apiUrl: options.githubApiUrl } : {}) }
          : undefined,
      );
      printNotice(`${describeBase(run)}`);
      if (format === "json") printJson(run.results);
      else printText(renderProposals(run.results, run.plan.proposalsPaused));
      const diagnosis = diagnosePlan(run.plan, run.snapshot);
      printDiagnosis(diagnosis);
      // The same findings as plan (exit 1): a blocked workload, nothing matched; and proposals that could not be written.
      const blocked = run.plan.workloads.some((workload) => workload.record.decision.action === "blocked");
      if (blocked || diagnosis.nothingMatched) process.exitCode = EXIT.finding;
      if (run.plan.proposalsPaused && !run.loaded.canPropose) process.exitCode = EXIT.finding;
      if (run.results.some((result) => result.status === "foreign" || result.status === "refused")) process.exitCode = EXIT.finding;
      if (run.results.some((result) => result.status === "failed")) process.exitCode = EXIT.external;
    });
}

export function renderProposals(results: readonly ProposalResult[], paused: string | undefined): string {
  if (paused) return `No proposals: ${paused}.\n`;
  if (results.length === 0) return "No proposals: every workload is on hold or blocked (see `rightsize plan`).\n";
  const rows = [["BRANCH", "STATUS", "WORKLOADS", "DETAIL"]];
  for (const result of results) {
    const detail = result.pullRequestUrl ?? result.bodyPath ?? result.reason ?? "";
    rows.push([result.branch, result.status, result.workloads.map(workloadKey).join(", "), detail]);
  }
  return `${alignColumns(rows)}\n`;
}

/** Which commit was read: the policy and the manifests both come from it (never the working tree). */
export function describeBase(run: Pick<RepositoryRun, "base" | "loaded">): string {
  return `proposals from ${run.base.branch} at ${run.base.commit.slice(0, 12)}, with the policy ${run.loaded.source.path}${run.loaded.source.path.startsWith("(") ? "" : " of that commit"}`;
}
