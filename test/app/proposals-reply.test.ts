import { describe, expect, it } from "vitest";
import { renderProposeOutcome } from "../../src/app/render/proposals.js";
import type { ProposalResult, RepositoryRun } from "../../src/pipeline/index.js";

/** The reply to `/rightsize all` counts what happened: a pull request left as it was was not proposed again. */
function run(statuses: ProposalResult["status"][]): RepositoryRun {
  const results = statuses.map((status, index): ProposalResult => {
    const ref = { cluster: "prod", namespace: "shop", kind: "Deployment" as const, name: `app-${index}` };
    return { branch: `rightsize/prod/shop/deployment-app-${index}`, workloads: [ref], status, title: `rightsize(shop/app-${index}): cpu 500m→250m`, files: [], pullRequestNumber: 101 + index };
  });
  const selected = results.map((result) => ({ ref: result.workloads[0]!, record: { decision: { action: "propose", reasons: [] } } }));
  return { unmatched: [], selected, plan: { workloads: selected, notObserved: [] }, results, base: { branch: "main", commit: "0123456789" } } as unknown as RepositoryRun;
}

describe("the reply's first line", () => {
  it("says nothing changed when every pull request is up to date (it said: proposed 2 pull requests)", () => {
    expect(renderProposeOutcome(run(["unchanged", "unchanged"]), { dryRun: false }).split("\n")).toEqual([
      "rightsize changed nothing: 2 pull requests are up to date (unchanged):",
      "- #101 unchanged: rightsize(shop/app-0): cpu 500m→250m",
      "- #102 unchanged: rightsize(shop/app-1): cpu 500m→250m",
    ]);
  });

  it("counts the opened and updated apart from those up to date", () => {
    expect(renderProposeOutcome(run(["created", "unchanged", "updated"]), { dryRun: false }).split("\n")[0]).toBe("rightsize proposed 2 pull requests; 1 pull request is up to date (unchanged):");
    expect(renderProposeOutcome(run(["created"]), { dryRun: false }).split("\n")[0]).toBe("rightsize proposed 1 pull request:");
  });
});
