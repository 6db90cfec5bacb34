import { code, parseQuantity, percentChange } from "../../domain/index.js";
import type { Policy } from "../../policy/index.js";
import type { BranchState, DeclinedProposal } from "../publish/types.js";
import type { ProposalState } from "../lifecycle/state.js";

export interface GateOutcome {
  status: "foreign" | "declined" | "rate-limited";
  reason: string;
  pullRequestUrl?: string;
}

/**
 * Whether a proposal may be written at all (SPEC §8), from what exists for its branch; undefined
 * means go ahead. Pure: the publisher reads the branch state, this decides.
 */
export function gateProposal(state: BranchState, proposed: ProposalState, policy: Policy, options: { overrideDeclines: boolean } = { overrideDeclines: false }): GateOutcome | undefined {
  const url = state.pullRequest ? { pullRequestUrl: state.pullRequest.url } : {};
  if (state.foreign) return { status: "foreign", reason: state.foreign, ...url };
  if (state.pullRequest) return undefined;
  // Scans and `/rightsize all` honour "not these values", every decline of the branch; an explicit request for the workload overrides them.
  const declined = options.overrideDeclines ? undefined : declineMatching(state, proposed, policy.recommend.minChangePercent);
  if (declined) {
    return {
      status: "declined",
      reason: `pull request #${declined.number} (${declinedValues(declined.state)}) was closed without merging${declined.closedAt ? ` on ${declined.closedAt.slice(0, 10)}` : ""}; values within ${policy.recommend.minChangePercent}% of it are not proposed again`,
      pullRequestUrl: declined.url,
    };
  }
  if (state.openProposals >= policy.rateLimits.maxOpenPullRequests) {
    return {
      status: "rate-limited",
      reason: `${state.openProposals} rightsize pull requests are open (rateLimits.maxOpenPullRequests: ${policy.rateLimits.maxOpenPullRequests}); merge or close some first`,
    };
  }
  return undefined;
}

/** The newest declined pull request of the branch whose values the proposal stays within, if any. */
export function declineMatching(state: BranchState, proposed: ProposalState, minChangePercent: number): DeclinedProposal | undefined {
  return state.declines?.find((declined) => isWithinDeclined(declined.state, proposed, minChangePercent));
}

/** What a declined proposal asked for, in a few words: `web: cpu 240m, memory 250Mi`. */
function declinedValues(state: ProposalState): string {
  return state.workloads
    .flatMap((workload) => Object.entries(workload.containers).map(([container, values]) => `${code(container)}: ${[values.cpu && `cpu ${values.cpu}`, values.memory && `memory ${values.memory}`].filter(Boolean).join(", ")}`))
    .join("; ");
}

/**
 * SPEC §8: closing a PR unmerged means "not this value". A new proposal is declined while every
 * value stays within `minChangePercent` of the declined one.
 */
export function isWithinDeclined(declined: ProposalState, proposed: ProposalState, minChangePercent: number): boolean {
  return proposed.workloads.every((workload) => {
    const previous = declined.workloads.find((candidate) => candidate.key === workload.key);
    if (!previous) return false;
    return Object.entries(workload.containers).every(([container, values]) =>
      (["cpu", "memory"] as const).every((resource) => {
        const before = previous.containers[container]?.[resource];
        const now = values[resource];
        if (before === undefined || now === undefined) return before === now;
        return Math.abs(percentChange(parseQuantity(before), parseQuantity(now))) < minChangePercent;
      }),
    );
  });
}
