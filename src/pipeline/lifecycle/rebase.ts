import { callGitHub, type GitHubRepositoryInfo } from "../github/client.js";
import { selectionsOfKeys } from "../plan/selection.js";
import { isProposalBranch } from "../propose/branches.js";
import { runForGitHubRepository, type GitHubRunInput } from "../propose/github.js";
import type { ProposalResult } from "../propose/propose.js";
import { branchOwnership } from "./branch.js";
import { commentOnce } from "./comments.js";
import { MARKERS } from "./markers.js";
import { proposalStateOf } from "./state.js";

export interface RebaseOutcome {
  /** Open rightsize pull requests whose files the push changed too, and what became of them. */
  rebuilt: ProposalResult[];
  /** Conflicting branches that hold someone else's commits: left alone, said once. */
  leftAlone: number[];
}

/**
 * Rebase when conflicted (SPEC §8, Renovate's default): after a push to the default branch, every
 * open rightsize pull request whose files the default branch changed since the pull request's
 * base (a sibling's merged patch in the same kustomization, a person's edit of the manifest) is
 * rebuilt on the new tip in the same job. A branch someone else pushed to is never rebuilt; its
 * pull request says so once. The state marker names the base and the files, so a push costs one
 * listing and one comparison per distinct base, whatever the number of open proposals.
 */
export async function rebuildConflicted(input: GitHubRunInput & { tip: string }): Promise<RebaseOutcome> {
  const { octokit, repository } = input;
  const where = { owner: repository.owner, repo: repository.repo };
  const open = await callGitHub(repository, "list open pull requests", () => octokit.paginate(octokit.rest.pulls.list, { ...where, state: "open", per_page: 100 }));
  const proposals = open.flatMap((pull) => {
    const state = proposalStateOf(repository, pull);
    return state && isProposalBranch(pull.head.ref) && pull.head.repo?.full_name === `${repository.owner}/${repository.repo}` ? [{ pull, state }] : [];
  });
  const changedSince = new Map<string, Promise<Set<string>>>();
  const changedOnDefault = (base: string) => {
    const known = changedSince.get(base);
    if (known) return known;
    const files = callGitHub(repository, "compare the default branch", () => octokit.rest.repos.compareCommitsWithBasehead({ ...where, basehead: `${base}...${input.tip}`, per_page: 1 })).then(
      (comparison) => new Set((comparison.data.files ?? []).map((file) => file.filename)),
    );
    changedSince.set(base, files);
    return files;
  };
  const conflicted: typeof proposals = [];
  const leftAlone: number[] = [];
  for (const proposal of proposals) {
    const { base, files } = proposal.state;
    let touched: Set<string>;
    let since: string;
    if (base && files) {
      // The marker says where the proposal was built and what it changes: no comparison of its own.
      if (base === input.tip) continue;
      [touched, since] = [new Set(files), base];
    } else {
      const comparison = await callGitHub(repository, "compare the pull request with the default branch", () =>
        octokit.rest.repos.compareCommitsWithBasehead({ ...where, basehead: `${input.tip}...${proposal.pull.head.sha}`, per_page: 1 }),
      );
      if (comparison.data.behind_by === 0) continue;
      [touched, since] = [new Set((comparison.data.files ?? []).map((file) => file.filename)), comparison.data.merge_base_commit.sha];
    }
    const changed = await changedOnDefault(since);
    if (![...touched].some((file) => changed.has(file))) continue;
    if ((await branchOwnership(octokit, repository, proposal.pull.head.ref)) === "foreign") {
      leftAlone.push(proposal.pull.number);
      await commentOnce(octokit, repository, proposal.pull.number, MARKERS.conflictLeft, renderConflictLeft(repository));
      continue;
    }
    conflicted.push(proposal);
  }
  if (conflicted.length === 0) return { rebuilt: [], leftAlone };
  const keys = conflicted.flatMap((proposal) => proposal.state.workloads.map((workload) => workload.key));
  const rebuilt: ProposalResult[] = [];
  for (const selection of selectionsOfKeys(keys)) {
    const run = await runForGitHubRepository({ ...input, selection, force: true });
    rebuilt.push(...run.results);
  }
  return { rebuilt, leftAlone };
}

function renderConflictLeft(repository: GitHubRepositoryInfo): string {
  return `The default branch \`${repository.defaultBranch}\` changed files this pull request changes. rightsize rebuilds its own branches on the new tip, but this one holds commits it did not write, so it is left to you: merge \`${repository.defaultBranch}\` into it, or close it.`;
}
