import { code, safeMarkdown } from "../../domain/index.js";
import type { Policy } from "../../policy/index.js";
import type { ProposalState } from "./state.js";

/**
 * What rightsize says about its own future behaviour, once each (their markers are in
 * markers.ts). Each sentence is a transition of life.ts, and the tests check that rightsize then
 * does what it said.
 */

/** SPEC §8: a person closed a proposal: "not these values", and what brings a new one. */
export function renderDeclinedNotice(state: ProposalState, policy: Policy, branch: { name: string; deleted: boolean }): string {
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
    `rightsize takes this as "not these values". Its scans and \`/rightsize all\` will not propose requests within ${policy.recommend.minChangePercent}% of them again:`,
    "",
    ...values.map((value) => `- ${value}`),
    "",
    `Usage that drifts further than that brings a new pull request on a later scan (schedule ${code(policy.schedule.cron)}). To ask for one now, whatever the values, comment ${code(`/rightsize ${targets.join(" ")}`)} in an issue or tick the workload's box on the dashboard.${branch.deleted ? ` The branch ${code(branch.name)} has been deleted.` : ""}`,
  ].join("\n");
}

/** A person pushed to a rightsize branch (SPEC §8: rightsize never rewrites a commit it did not write). */
export function renderTakenOverNotice(reason: string): string {
  return [
    `rightsize did not update this branch: ${safeMarkdown(reason)}. It will not push to this branch again, whatever happens to this pull request: merge it as it is, or close it.`,
    "rightsize never deletes a branch that holds someone else's commits; once this branch is gone, rightsize proposes for this workload again.",
  ].join(" ");
}

/** A closed proposal's branch stays: it holds someone else's commits. */
export function renderBranchKeptNotice(branch: string): string {
  return `rightsize left the branch ${code(branch)} in place: it holds commits rightsize did not write, and rightsize never deletes those. Delete the branch when you no longer need it; rightsize proposes for this workload again once it is gone.`;
}
