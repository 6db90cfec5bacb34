import { createHash } from "node:crypto";
import { DEFAULT_POLICY_PATH } from "../../policy/index.js";
import { DECISION_TRAILER, GitWorkspace } from "../checkout/workspace.js";
import { callGitHub, writtenByRightsize, type GitHubClient, type GitHubRepositoryInfo } from "../github/client.js";
import { MARKERS } from "../lifecycle/markers.js";
import { gitHubPolicyReader, readRawFile } from "../policy/github.js";
import type { GitHubRunInput } from "../propose/github.js";
import { proposeForRepository } from "../propose/repository.js";
import { GitDataPublisher } from "../publish/git-data.js";
import type { OpenProposal } from "../publish/types.js";
import { scanGitHubRepository, type ScanOutcome } from "../scan/scan.js";
import type { OrganizationControls } from "./controls.js";
import { onboardingPolicyText } from "./policy-text.js";
import { ONBOARDING_TITLE, renderOnboardingBody } from "./render.js";

/** The onboarding pull request's branch: with its marker, the lookup key (SPEC §8: GitHub is the only state store). */
export const ONBOARDING_BRANCH = "rightsize/onboarding";

export interface OnboardingInput extends Pick<GitHubRunInput, "octokit" | "repository" | "token" | "observe" | "onStage" | "mayOpen"> {
  controls: OrganizationControls;
  /** The clusters this installation observes, by name: the new policy maps the repository to the only one. */
  clusters: readonly string[];
  /** `/rightsize onboard`: a pull request even after one was closed or merged ("not here" is overruled by asking). */
  explicit?: boolean;
}

export type OnboardingOutcome =
  /** The repository has its own policy file: nothing to onboard. */
  | { status: "configured"; policyText?: string }
  /** Its onboarding pull request was merged: the repository is on (on the defaults, if the file went since). */
  | { status: "onboarded"; number: number; url: string }
  /** Its onboarding pull request was closed unmerged: "not here". */
  | { status: "declined"; number: number; url: string }
  | { status: "created" | "updated" | "unchanged"; number: number; url: string }
  /** Not opened now (the installation's pull requests per hour); the reason says when. */
  | { status: "rate-limited"; reason: string }
  /** Someone else pushed to the onboarding branch: rightsize leaves it alone. */
  | { status: "foreign"; number: number; url: string; reason: string };

/** The latest onboarding pull request rightsize opened here, open or closed. */
async function latestOnboarding(octokit: GitHubClient, repository: GitHubRepositoryInfo) {
  const { owner, repo } = repository;
  const { data } = await callGitHub(repository, "list the onboarding pull requests", () =>
    octokit.rest.pulls.list({ owner, repo, state: "all", head: `${owner}:${ONBOARDING_BRANCH}`, sort: "created", direction: "desc", per_page: 10 }),
  );
  // Only the app's own pull request with its marker counts (SPEC §9): a person's look-alike is data.
  return data.find((pull) => writtenByRightsize(repository, pull.user) && (pull.body ?? "").includes(MARKERS.onboarding));
}

/**
 * The onboarding pull request of a repository without a policy file (SPEC §10 "Organisations",
 * Renovate's convention): opened once, brought up to date while it is open, and never again
 * once closed unless asked (`explicit`). Its preview is the plan of the default branch under the
 * policy it adds, from current observations: what the first scan after merging proposes.
 */
export async function onboardRepository(input: OnboardingInput): Promise<OnboardingOutcome> {
  const { octokit, repository } = input;
  const own = await readRawFile(octokit, { ...repository, path: DEFAULT_POLICY_PATH });
  if (own !== undefined) return { status: "configured", policyText: own };
  const latest = await latestOnboarding(octokit, repository);
  if (latest?.merged_at && !input.explicit) return { status: "onboarded", number: latest.number, url: latest.html_url };
  if (latest && latest.state === "closed" && !input.explicit) return { status: "declined", number: latest.number, url: latest.html_url };
  const open = latest?.state === "open" ? latest : undefined;
  const clone = await GitWorkspace.shallowClone(repository.cloneUrl, repository.defaultBranch, { token: input.token });
  try {
    const base = { branch: repository.defaultBranch, commit: clone.commit };
    const policyText = onboardingPolicyText({ extendsOrganization: input.controls.organizationPolicy, clusters: input.clusters });
    const readPolicy = gitHubPolicyReader(octokit, repository);
    const run = await proposeForRepository({
      checkout: { workspace: clone.workspace, base },
      // The policy the pull request adds, read as the scan after merging will read it.
      policy: (files) => readPolicy([...files.filter((file) => file.path !== DEFAULT_POLICY_PATH), { path: DEFAULT_POLICY_PATH, text: policyText }]),
      observe: input.observe,
      ...(input.onStage ? { onStage: input.onStage } : {}),
    });
    const body = renderOnboardingBody({
      policyPath: DEFAULT_POLICY_PATH,
      policyText,
      base,
      plan: run.plan,
      observedAt: run.snapshot.createdAt,
      schedule: run.loaded.policy.schedule.cron,
      currency: run.loaded.policy.cost.currency,
    });
    const existing: OpenProposal | undefined = open
      ? { number: open.number, url: open.html_url, title: open.title, body: open.body ?? "", head: open.head.sha, byRightsize: true }
      : undefined;
    if (!existing) {
      const refused = await input.mayOpen?.();
      if (refused) return { status: "rate-limited", reason: refused };
    }
    const publisher = new GitDataPublisher(octokit, repository, clone.workspace, clone.commit);
    const published = await publisher.publish(
      {
        branch: ONBOARDING_BRANCH,
        base,
        files: [{ path: DEFAULT_POLICY_PATH, content: policyText }],
        message: `${ONBOARDING_TITLE}\n\nAdds ${DEFAULT_POLICY_PATH} in mode: recommend.\n\n${DECISION_TRAILER}: ${createHash("sha256").update(policyText).digest("hex")}`,
        // No proposal state: the onboarding pull request is not a proposal, and the proposals' life leaves it alone.
        rendered: { title: ONBOARDING_TITLE, body, labels: ["rightsize"], state: { version: 1, branch: ONBOARDING_BRANCH, workloads: [] } },
        policy: { ...run.loaded.policy, pullRequests: { ...run.loaded.policy.pullRequests, draft: false } },
      },
      { branch: ONBOARDING_BRANCH, openProposals: 0, ...(existing ? { pullRequest: existing } : {}) },
    );
    if (published.status === "foreign") return { status: "foreign", number: existing?.number ?? 0, url: existing?.url ?? "", reason: published.reason };
    return { status: published.status, number: published.pullRequestNumber!, url: published.pullRequestUrl! };
  } finally {
    await clone.dispose();
  }
}

export interface ScheduledScanOutcome {
  /** Paused for the organisation: nothing was read or written. */
  paused?: NonNullable<OrganizationControls["paused"]>;
  /** The repository has no policy file: what became of its onboarding (no scan ran). */
  onboarding?: OnboardingOutcome;
  scan?: ScanOutcome;
}

/**
 * A scheduled scan as the app runs it for an organisation (SPEC §10): nothing while paused; the
 * onboarding pull request instead of a scan for a repository without a policy file (unless the
 * organisation or the operator skip onboarding); else the scan. `onboardOnly` (a repository the
 * app was just given): the onboarding pull request when it needs one, and no scan.
 */
export async function scanOrOnboard(
  input: GitHubRunInput & { now: Date; controls: OrganizationControls; clusters: readonly string[]; onboardOnly?: boolean },
): Promise<ScheduledScanOutcome> {
  if (input.controls.paused) return { paused: input.controls.paused };
  let onboarding: OnboardingOutcome | undefined;
  if (input.controls.onboarding.enabled) {
    onboarding = await onboardRepository(input);
    if ((onboarding.status !== "configured" && onboarding.status !== "onboarded") || input.onboardOnly) return { onboarding };
  }
  if (input.onboardOnly) return {};
  // The policy file was just read: the rescan check uses that reading instead of a second one.
  const known = onboarding?.status === "configured" && onboarding.policyText !== undefined ? { policyText: onboarding.policyText } : {};
  return { scan: await scanGitHubRepository({ ...input, ...known }) };
}
