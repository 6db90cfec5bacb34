import { code } from "../../domain/index.js";
import type { Policy } from "../../policy/index.js";
import type { DecisionRecord } from "../../recommend/index.js";

export function renderConfiguration(policy: Policy, records: readonly DecisionRecord[]): string {
  // SPEC §5: `keep` still raises a limit the new values need; said where it happens, so `keep` and a moved limit do not read as a contradiction.
  const limitMoves = records.some((record) =>
    record.containers.some((container) => container.action === "change" && (["cpu", "memory"] as const).some((resource) => container.current.limits[resource] !== container.recommended.limits[resource])),
  );
  const keep =
    policy.recommend.limits === "keep" && limitMoves
      ? " With limits `keep`, a limit changes only where the new values need it: raised to a new request that would exceed it, raised to the OOM rule's value after OOM kills, or moved with the requests of a Guaranteed pod; the risks above name the cause of each."
      : "";
  const verify =
    policy.pullRequests.verifyAfter.seconds === 0
      ? "Verification after merge is off."
      : `About ${policy.pullRequests.verifyAfter.text} after merge, rightsize observes again and comments here whether the new requests fit.`;
  return [
    "#### Configuration",
    "",
    `- rightsize scans on the schedule ${code(policy.schedule.cron)} (cron, UTC) and when asked with \`/rightsize\`.`,
    `- It updates this branch when a scan changes the recommendation, and rebuilds it on the default branch when a push there changes the files it edits. It never pushes to it again once someone else has, and never deletes a branch that holds someone else's commits.`,
    `- Closing this pull request without merging means "not these values": scans and \`/rightsize all\` will not propose values within ${policy.recommend.minChangePercent}% of these again. Usage drifting beyond that brings a new pull request; so does asking for this workload by name (\`/rightsize kind/name\` in an issue, \`/rightsize refresh\` here, or its box on the dashboard).`,
    `- Once this is merged, no further decrease of these requests is proposed until the new values run in the cluster and a fresh window since then reaches the minimum confidence (${policy.apply.minConfidence}); increases the new data call for come at once.`,
    `- ${verify}`,
    `- Settings come from \`.github/rightsize.yml\` (mode \`${policy.mode}\`, minimum confidence ${policy.apply.minConfidence}, limits \`${policy.recommend.limits}\`, decreases capped at ${policy.recommend.maxDecreasePercent}% per proposal).${keep}`,
  ].join("\n");
}
