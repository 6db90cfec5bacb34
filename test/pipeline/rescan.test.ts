import path from "node:path";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObservationSnapshot } from "../../src/domain/index.js";
import { scanGitHubRepository, withConditionalRequests } from "../../src/pipeline/index.js";
import { conditionalCache } from "../../src/pipeline/github/conditional.js";
import { exampleSnapshot } from "../helpers/example.js";
import { GitHubStandIn } from "../helpers/github-standin.js";
import { withoutInterception } from "../helpers/network.js";

withoutInterception();

/**
 * A rescan that costs almost nothing (SPEC §10): a scheduled scan of a repository whose default
 * branch, policy, observations and open proposals did not change clones nothing, writes nothing
 * and reads four things — and, with conditional requests, GitHub answers those 304.
 */
let github: GitHubStandIn;
const cache = conditionalCache();

beforeAll(async () => {
  github = await GitHubStandIn.withExample();
});

afterAll(async () => {
  await github.stop();
});

/** One scheduled scan; what it asked of GitHub. */
async function scan(snapshot: ObservationSnapshot) {
  const before = { requests: github.requests.length, notModified: github.notModified };
  const outcome = await scanGitHubRepository({
    octokit: withConditionalRequests(new Octokit({ auth: "t", baseUrl: github.apiUrl }), cache),
    repository: { owner: "acme", repo: "shop-config", defaultBranch: "main", cloneUrl: github.cloneUrl, botLogin: "rightsize[bot]" },
    token: "t",
    now: new Date("2026-11-23T06:00:00Z"),
    observe: async () => ({ snapshot, at: snapshot.createdAt }),
  });
  const requests = github.requests.slice(before.requests);
  return {
    outcome,
    calls: requests.filter((request) => request.includes("/api/v3/")),
    writes: requests.filter((request) => request.includes("/api/v3/") && !request.startsWith("GET ")),
    clones: requests.filter((request) => request.endsWith("/info/refs")).length,
    notModified: github.notModified - before.notModified,
  };
}

describe("a rescan with nothing changed", () => {
  const snapshot = exampleSnapshot();

  it("clones nothing, writes nothing and reads four things; GitHub answers them 304 once it has seen them", async () => {
    const first = await scan(snapshot);
    expect(first.outcome.unchanged).toBeUndefined();
    expect(first.clones).toBe(1);
    expect(first.outcome.run?.results.map((result) => result.status)).toEqual(["created", "created", "created"]);

    const second = await scan(snapshot);
    expect(second.outcome).toEqual({ unchanged: true });
    expect([second.clones, second.writes]).toEqual([0, []]);
    expect(second.calls).toEqual([
      "GET /api/v3/repos/acme/shop-config/git/ref/heads%2Fmain",
      "GET /api/v3/repos/acme/shop-config/issues",
      "GET /api/v3/repos/acme/shop-config/contents/.github%2Frightsize.yml",
      "GET /api/v3/repos/acme/shop-config/pulls",
    ]);

    const third = await scan(snapshot);
    expect(third.outcome).toEqual({ unchanged: true });
    expect([third.calls.length, third.notModified, third.clones, third.writes.length]).toEqual([4, 4, 0, 0]);
  });

  it("scans in full when what the clusters show changes what rightsize would propose", async () => {
    const busier: ObservationSnapshot = {
      ...snapshot,
      workloads: snapshot.workloads.map((workload) =>
        workload.workload.name !== "frontend" ? workload : { ...workload, containers: workload.containers.map((container) => ({ ...container, cpu: container.cpu && { ...container.cpu, p50: container.cpu.p50 * 3, p90: container.cpu.p90 * 3, p95: container.cpu.p95 * 3, p99: container.cpu.p99 * 3, max: container.cpu.max * 3, mean: container.cpu.mean * 3 } })) },
      ),
    };
    const changed = await scan(busier);
    expect(changed.outcome.unchanged).toBeUndefined();
    expect(changed.clones).toBe(1);
    // And the scan after it has nothing to do again.
    expect((await scan(busier)).outcome).toEqual({ unchanged: true });
  });

  it("scans in full when the default branch moved, or a proposal was closed", async () => {
    const work = path.join(github.root, "person");
    github.git("worktree", "add", "--quiet", work, "main");
    github.git("-C", work, "-c", "user.name=Alice", "-c", "user.email=alice@example.com", "commit", "--quiet", "--allow-empty", "-m", "Unrelated change");
    const moved = await scan(snapshot);
    expect(moved.outcome.unchanged).toBeUndefined();
    expect(moved.clones).toBe(1);
    expect((await scan(snapshot)).outcome).toEqual({ unchanged: true });

    const open = github.pulls.find((pull) => pull.state === "open")!;
    open.state = "closed";
    const closed = await scan(snapshot);
    expect(closed.outcome.unchanged).toBeUndefined();
  });
});
