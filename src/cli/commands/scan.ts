import type { Command } from "commander";
import { EXIT, exitCodeFor, formatLocation, RightsizeError, UsageError } from "../../domain/index.js";
import { callGitHub, loadOperatorClusters, observeOperatorClusters, scanGitHubRepository, tokenLogin, type GitHubRepositoryInfo, type ObservedInputs, type ScanOutcome } from "../../pipeline/index.js";
import { formatPolicyProblem } from "../../policy/index.js";
import type { Paint } from "../../recommend/index.js";
import { addOutputOptions, parseOutputFormat, printOutput, printProgress, type OutputFlags, type Rows } from "../output.js";
import { loadPolicyWithWarnings } from "../inputs.js";
import { gitHubClient, observe, parseRepository } from "../run-proposals.js";
import { proposalRows, renderProposals } from "./propose.js";

interface ScanOptions extends OutputFlags {
  githubToken?: string;
  policy?: string;
  repo?: string[];
  clustersFile?: string;
  snapshot?: string;
  at?: string;
  dryRun?: boolean;
  githubApiUrl?: string;
}

interface RepositoryScan {
  repository: string;
  outcome?: ScanOutcome;
  error?: string;
  status: number;
}

export function register(program: Command): void {
  const command = program
    .command("scan")
    .description(
      "What the GitHub App does on its schedule, from a CronJob or CI: for each repository, clone its default branch, read its policy, observe, and open or update pull requests through the GitHub API (verified commits). An invalid policy opens the issue \"rightsize: fix the policy file\".",
    )
    .option("--github-token <token>", "a token that may write contents, pull requests and issues (default: $GITHUB_TOKEN)")
    .option("--repo <owner/name>", "a repository to scan; repeat for more (default: $GITHUB_REPOSITORY)", (value: string, previous: string[] = []) => [...previous, value])
    .option("--policy <file>", "a policy file to use instead of each repository's .github/rightsize.yml")
    .option("--clusters-file <file>", "observe through these clusters only, as the app does (RIGHTSIZE_CLUSTERS_FILE format)")
    .option("--snapshot <file>", "replay an observation snapshot instead of observing")
    .option("--at <time>", "evaluation time, ISO 8601 (default: the snapshot's createdAt, or now)")
    .option("--dry-run", "plan and report only: no branch, pull request or issue")
    .option("--github-api-url <url>", "GitHub API URL (default: $GITHUB_API_URL, GitHub Enterprise via $GHE_HOST, else https://api.github.com)");
  addOutputOptions(command).action(async (options: ScanOptions) => {
      const format = parseOutputFormat(options.output);
      const token = options.githubToken ?? process.env.GITHUB_TOKEN;
      if (!token) throw new UsageError("scan needs a GitHub token: --github-token TOKEN or $GITHUB_TOKEN");
      const names = options.repo && options.repo.length > 0 ? options.repo : process.env.GITHUB_REPOSITORY ? [process.env.GITHUB_REPOSITORY] : [];
      if (names.length === 0) throw new UsageError("name the repositories to scan: --repo OWNER/NAME (or set $GITHUB_REPOSITORY)");
      if (options.clustersFile && options.snapshot) throw new UsageError("--clusters-file and --snapshot exclude each other");
      const octokit = gitHubClient({ token, ...(options.githubApiUrl ? { apiUrl: options.githubApiUrl } : {}) });
      const clusters = options.clustersFile ? await loadOperatorClusters(options.clustersFile) : undefined;
      const scans: RepositoryScan[] = [];
      let login: Promise<string | undefined> | undefined;
      const botLogin = () => (login ??= tokenLogin(octokit));
      for (const name of names) {
        const target = parseRepository(name);
        try {
          const { data } = await callGitHub(target, "read the repository (check the name and the token's access)", () => octokit.rest.repos.get(target));
          const repository: GitHubRepositoryInfo = { ...target, defaultBranch: data.default_branch, cloneUrl: data.clone_url, botLogin: await botLogin() };
          const outcome = await scanGitHubRepository({
            octokit,
            repository,
            token,
            now: options.at ? new Date(options.at) : new Date(),
            ...(options.dryRun ? { dryRun: true } : {}),
            ...(options.policy ? { policy: () => loadPolicyWithWarnings(options.policy) } : {}),
            observe: (loaded, scope): Promise<ObservedInputs> =>
              clusters
                ? observeOperatorClusters(clusters, loaded, scope, { at: options.at ?? new Date().toISOString(), onProgress: printProgress })
                : observe({ ...(options.snapshot ? { snapshot: options.snapshot } : {}), ...(options.at ? { at: options.at } : {}) }, loaded, scope),
          });
          scans.push({ repository: name, outcome, status: statusOf(outcome) });
        } catch (error) {
          // One repository's failure never stops the others (SPEC §8: nothing half-made, the next scan retries).
          const message = error instanceof RightsizeError ? `${formatLocation(error.location) ? `${formatLocation(error.location)}: ` : ""}${error.message}` : (error as Error).message;
          scans.push({ repository: name, error: message, status: error instanceof RightsizeError ? exitCodeFor(error) : EXIT.external });
        }
      }
      printOutput(format, options, {
        data: () => scans.map(({ repository, outcome, error }) => ({ repository, results: outcome?.run?.results ?? [], policyProblems: outcome?.policyProblems ?? [], ...(error ? { error } : {}) })),
        table: (paint) => scans.map((scan) => renderScan(scan, paint)).join("\n"),
        rows: () => scanRows(scans),
      });
      process.exitCode = Math.max(...scans.map((scan) => scan.status));
    });
}

/** One row per proposal and workload of each repository; a repository that failed or whose policy is invalid gets one row saying so. */
function scanRows(scans: readonly RepositoryScan[]): Rows {
  const proposals = proposalRows([]);
  const rows = scans.flatMap((scan) => {
    if (scan.error) return [[scan.repository, "", "failed", "", "", "", "", "", "", scan.error]];
    if (scan.outcome?.policyProblems) return [[scan.repository, "", "invalid-policy", "", "", "", "", "", "", scan.outcome.policyProblems.map(formatPolicyProblem).join("; ")]];
    return proposalRows(scan.outcome?.run?.results ?? []).rows.map((row) => [scan.repository, ...row]);
  });
  return { columns: ["repository", ...proposals.columns], rows };
}

function statusOf(outcome: ScanOutcome): number {
  if (outcome.policyProblems) return EXIT.finding;
  const results = outcome.run?.results ?? [];
  if (results.some((result) => result.status === "failed")) return EXIT.external;
  if (results.some((result) => result.status === "foreign" || result.status === "refused")) return EXIT.finding;
  return EXIT.ok;
}

function renderScan(scan: RepositoryScan, paint: Paint | undefined): string {
  const heading = `${scan.repository}:\n`;
  if (scan.error) return `${heading}  failed: ${scan.error}\n`;
  const { outcome } = scan;
  if (outcome?.policyProblems) {
    const issue = outcome.policyIssue ? ` (issue #${outcome.policyIssue.number} ${outcome.policyIssue.status})` : "";
    return `${heading}  the policy is invalid, proposals paused${issue}:\n${outcome.policyProblems.map((problem) => `  ${formatPolicyProblem(problem)}\n`).join("")}`;
  }
  const run = outcome!.run!;
  const verified = (outcome!.verification ?? []).filter((entry) => entry.status !== "waiting" && entry.status !== "waiting-for-rollout").map((entry) => `  checked after merge: #${entry.number} ${entry.status}${entry.checks ? ` (${entry.checks.map((check) => check.verdict).join(", ")})` : ""}\n`);
  const dashboard = outcome!.dashboard ? `  dashboard issue #${outcome!.dashboard.number} ${outcome!.dashboard.status}\n` : "";
  return `${heading}  base ${run.base.branch} at ${run.base.commit.slice(0, 12)}, policy ${run.loaded.source.path}\n${renderProposals(run.results, run.plan.proposalsPaused, paint)}${verified.join("")}${dashboard}`;
}
