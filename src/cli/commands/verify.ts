import type { Command } from "commander";
import { alignColumns, EXIT, workloadKey } from "../../domain/index.js";
import { GitWorkspace, isRolledOut, mergedProposalsInHistory, renderVerificationComment, verifyWorkload, type WorkloadCheck } from "../../pipeline/index.js";
import { parseOutputFormat, printJson, printNotice, printText } from "../output.js";
import { requireRepoDirectory } from "../pipeline-options.js";
import { observe } from "../run-proposals.js";
import { loadPolicyWithWarnings } from "../inputs.js";

interface VerifyOptions {
  repo: string;
  policy?: string;
  snapshot?: string;
  at?: string;
  output: string;
}

interface Verified {
  workload: string;
  commit: string;
  mergedAt: string;
  rolledOut: boolean;
  check?: WorkloadCheck;
}

export function register(program: Command): void {
  program
    .command("verify")
    .description(
      "The check after merge for proposals found in git history (commits with the Rightsize-Decision trailer): per container the p95 and peak against the merged requests, and a verdict on CPU's sizing percentile (recommend.cpu.percentile, p90 by default) and memory's peak: fits (< 80%), tight (80–95%), wrong (> 95% or an OOM kill). Exit 1 when a verdict is wrong.",
    )
    .option("--repo <dir>", "the config repo checkout", ".")
    .option("--policy <file>", "policy file (default: <repo>/.github/rightsize.yml when present)")
    .option("--snapshot <file>", "an observation snapshot taken after the rollout (default: observe live)")
    .option("--at <time>", "evaluation time, ISO 8601")
    .option("--output <format>", "text, json or markdown", "text")
    .action(async (options: VerifyOptions) => {
      const format = parseOutputFormat(options.output, ["text", "json", "markdown"]);
      const repoDir = await requireRepoDirectory(options.repo);
      const workspace = new GitWorkspace(repoDir);
      const branch = await workspace.defaultBranch();
      const merged = await mergedProposalsInHistory(repoDir, branch);
      if (merged.length === 0) {
        printNotice(`no merged proposal on ${branch} (no commit with a Rightsize-Decision trailer and a decision record)`);
        if (format === "json") printJson([]);
        return;
      }
      const loaded = await loadPolicyWithWarnings(options.policy, repoDir);
      const { snapshot } = await observe({ ...(options.snapshot ? { snapshot: options.snapshot } : {}), ...(options.at ? { at: options.at } : {}) }, loaded);
      const verified: Verified[] = merged.map((proposal) => {
        const observation = snapshot.workloads.find((candidate) => workloadKey(candidate.workload) === proposal.key);
        const rolledOut = observation !== undefined && isRolledOut(proposal.merged, observation);
        return { workload: proposal.key, commit: proposal.commit, mergedAt: proposal.at, rolledOut, ...(observation && rolledOut ? { check: verifyWorkload(proposal.key, proposal.merged, observation, loaded.policy.recommend.cpu.percentile) } : {}) };
      });
      if (format === "json") printJson(verified);
      else if (format === "markdown") {
        const checks = verified.flatMap((entry) => (entry.check ? [entry.check] : []));
        const waiting = verified.filter((entry) => !entry.check).map((entry) => `- \`${entry.workload}\` (${entry.commit.slice(0, 7)}): the merged values do not run yet`);
        printText(`${[checks.length > 0 ? renderVerificationComment(checks, merged.map((proposal) => proposal.record), "the rollout") : "", ...waiting].filter(Boolean).join("\n\n")}\n`);
      } else printText(renderText(verified));
      if (verified.some((entry) => entry.check?.verdict === "wrong")) process.exitCode = EXIT.finding;
    });
}

function renderText(verified: readonly Verified[]): string {
  const rows = [["WORKLOAD", "MERGED", "CONTAINER", "RESOURCE", "REQUEST", "P95", "PEAK", "JUDGED", "VERDICT"]];
  for (const entry of verified) {
    if (!entry.check) {
      rows.push([entry.workload, entry.commit.slice(0, 7), "—", "—", "—", "—", "—", "—", "not rolled out"]);
      continue;
    }
    for (const container of entry.check.containers) {
      for (const resource of container.resources) {
        const show = (value: number) => (resource.resource === "cpu" ? `${Number((value * 1000).toFixed(1))}m` : `${Number((value / 1024 ** 2).toFixed(1))}Mi`);
        rows.push([entry.workload, entry.commit.slice(0, 7), container.container, resource.resource, resource.request, show(resource.p95), show(resource.peak), `${(resource.ratio * 100).toFixed(0)}%`, `${resource.verdict}${container.oomKills > 0 ? ` (${container.oomKills} OOM)` : ""}`]);
      }
    }
  }
  return `${alignColumns(rows)}\n`;
}
