import { describe, expect, it } from "vitest";
import { Octokit } from "@octokit/rest";
import { defaultPolicy } from "../../src/policy/index.js";
import { openRevert } from "../../src/pipeline/lifecycle/revert.js";

describe("the revert pull request", () => {
  it("refuses, without cloning, when the merged proposal's decision records could not be read (a trimmed body): the previous values are unknown", async () => {
    const outcome = await openRevert({
      octokit: new Octokit({ baseUrl: "http://127.0.0.1:9" }),
      // An unreachable clone URL: a clone attempt would fail with a git error instead of the refusal.
      repository: { owner: "acme", repo: "shop-config", defaultBranch: "main", cloneUrl: "http://127.0.0.1:9/acme/shop-config.git", botLogin: "rightsize[bot]" },
      token: "t",
      loaded: { policy: defaultPolicy(), source: { path: "(defaults)", apiVersion: "rightsize.dev/v1alpha2", sha256: "" }, warnings: [] } as never,
      merged: { number: 12, records: [] },
      checks: [],
    });
    expect(outcome).toEqual({ status: "refused", reason: "the decision records of #12 could not be read from its body (trimmed or edited), so the previous values are unknown" });
  });
});
