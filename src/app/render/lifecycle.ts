import { code } from "../../domain/index.js";
import type { Policy } from "../../policy/index.js";
import type { ProposalState } from "../../pipeline/index.js";

/**
 * SPEC §8: closing a rightsize pull request unmerged means "not this value". The comment says
 * what rightsize will do from now on, and what brings a new proposal.
 */
export function renderDeclinedComment(state: ProposalState, policy: Policy, branch: string): string {
  const values = state.workloads.flatMap((workload) =>
    Object.entries(workload.containers).map(
      ([container, requests]) => `${code(workload.key)} ${code(container)}: ${[requests.cpu && `cpu ${requests.cpu}`, requests.memory && `memory ${requests.memory}`].filter(Boolean).join(", ")}`,
    ),
  );
  const targets = state.workloads.map((workload) => {
    const [, namespace, kind, name] = workload.key.split("/");
    return `${namespace}/${kind?.toLowerCase()}/${name}`;
  });
  return [
    `rightsize takes this as "not these values". It will not propose requests within ${policy.recommend.minChangePercent}% of them again:`,
    "",
    ...values.map((value) => `- ${value}`),
    "",
    `Usage that drifts further than that brings a new pull request on a later scan (schedule ${code(policy.schedule.cron)}), and so does \`/rightsize ${targets.join(" ")}\` in an issue. The branch ${code(branch)} has been deleted.`,
  ].join("\n");
}

/** Said once on a merged rightsize pull request: what the after-merge check will do. */
export function renderMergedNote(policy: Policy): string | undefined {
  if (policy.pullRequests.verifyAfter.seconds === 0) return undefined;
  return `rightsize recorded the merge. Once the new requests have run for ${policy.pullRequests.verifyAfter.text}, it observes again and reports here whether they fit.`;
}
