import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseObservationSnapshotText, type WorkloadObservation } from "../../src/domain/index.js";
import { GitWorkspace, loadPolicyFromFiles, openLocalCheckout, proposeForRepository } from "../../src/pipeline/index.js";
import { followUp, phaseOf, type ProposalFacts } from "../../src/pipeline/lifecycle/life.js";
import { stepOutcome, stepsFromPullRequests, type MergedStep } from "../../src/pipeline/lifecycle/steps.js";
import { exampleRepo } from "../helpers/git-repo.js";

const EXAMPLE = parseObservationSnapshotText(readFileSync(path.join(import.meta.dirname, "../../examples/snapshot.json"), "utf8"));
const FRONTEND = EXAMPLE.workloads.find((workload) => workload.workload.name === "frontend")!;
const KEY = "prod/shop/Deployment/frontend";

const facts = (change: Partial<ProposalFacts> = {}): ProposalFacts => ({ open: false, merged: false, closedByRightsize: false, branch: "ours", rolledOut: false, verified: false, ...change });

describe("a proposal's life (SPEC §8): phases", () => {
  it.each([
    [facts({ open: true }), "open"],
    [facts({ open: true, branch: "foreign" }), "taken-over"],
    [facts({ merged: true, branch: "gone" }), "merged"],
    [facts({ merged: true, rolledOut: true }), "live"],
    [facts({ merged: true, rolledOut: true, verified: true }), "verified"],
    [facts(), "declined"],
    [facts({ closedByRightsize: true }), "closed-by-rightsize"],
    [facts({ branch: "foreign" }), "taken-over"],
  ])("%j is %s", (given, phase) => {
    expect(phaseOf(given)).toBe(phase);
  });
});

describe("a proposal's life (SPEC §8): what each event does", () => {
  it.each([
    ["merged", facts({ merged: true, branch: "gone" }), { kind: "closed", by: "person" }, ["record-merge"]],
    ["closed by a person, the branch rightsize's alone", facts(), { kind: "closed", by: "person" }, ["delete-branch", "say-declined"]],
    ["closed by a person, the branch already gone", facts({ branch: "gone" }), { kind: "closed", by: "person" }, ["say-declined"]],
    ["closed by a person after someone pushed to it", facts({ branch: "foreign" }), { kind: "closed", by: "person" }, ["say-branch-kept"]],
    ["closed by rightsize (ignore, nothing left)", facts({ closedByRightsize: true }), { kind: "closed", by: "person" }, ["delete-branch"]],
    ["closed by a bot", facts(), { kind: "closed", by: "rightsize" }, ["delete-branch"]],
    ["a person pushed to an open one", facts({ open: true }), { kind: "pushed", by: "person" }, ["say-taken-over"]],
    ["rightsize pushed", facts({ open: true }), { kind: "pushed", by: "rightsize" }, []],
  ] as const)("%s: %j", (_name, given, event, actions) => {
    expect(followUp(given, event)).toEqual(actions);
  });

  it("never deletes a branch that holds someone else's commits, whatever the event", () => {
    for (const open of [true, false]) {
      for (const merged of [true, false]) {
        for (const closedByRightsize of [true, false]) {
          for (const by of ["person", "rightsize"] as const) {
            for (const kind of ["closed", "pushed"] as const) {
              expect(followUp(facts({ open, merged, closedByRightsize, branch: "foreign" }), { kind, by })).not.toContain("delete-branch");
            }
          }
        }
      }
    }
  });
});

describe("steps, not stacks (SPEC §8)", () => {
  const running = (cpu: string, memory: string): WorkloadObservation => ({
    ...FRONTEND,
    containers: FRONTEND.containers.map((container) => ({ ...container, current: { limits: container.current?.limits ?? {}, requests: { cpu, memory } } })),
  });
  const step = (change: Partial<MergedStep> = {}): MergedStep => ({ key: KEY, number: 12, mergedAt: "2026-11-20T09:00:00Z", requests: { web: { cpu: "250m", memory: "256Mi" } }, ...change });
  const now = new Date("2026-11-23T06:00:00Z");
  const week = 7 * 86_400;

  it("holds decreases while the cluster still runs the old requests", () => {
    expect(stepOutcome(step(), running("500m", "512Mi"), now, week).holdDecreases).toBe(
      "waiting for the rollout: #12 (merged 2026-11-20) does not run in the cluster yet; decreases wait until it does and a fresh window since then is long enough",
    );
  });

  it("holds decreases when the rollout is seen for the first time (a fresh window since it is empty)", () => {
    expect(stepOutcome(step(), running("250m", "256Mi"), now, week)).toEqual({ previous: step(), holdDecreases: "waiting for data: #12 has just rolled out; decreases wait for a fresh window since the rollout" });
  });

  it("observes from the rollout while it lies inside the policy's window, and normally once it does not", () => {
    expect(stepOutcome(step({ rolledOutAt: "2026-11-21T06:00:00Z" }), running("250m", "256Mi"), now, week)).toEqual({ previous: step({ rolledOutAt: "2026-11-21T06:00:00Z" }), observeSince: "2026-11-21T06:00:00Z" });
    expect(stepOutcome(step({ rolledOutAt: "2026-11-10T06:00:00Z" }), running("250m", "256Mi"), now, week)).toEqual({ previous: step({ rolledOutAt: "2026-11-10T06:00:00Z" }) });
  });

  it("holds memory decreases while an OOM kill from before the rollout is inside the policy's window (the fresh window does not show it)", () => {
    const killed = (at: string): WorkloadObservation => {
      const observation = running("250m", "256Mi");
      return { ...observation, containers: observation.containers.map((container) => ({ ...container, oomKills: [{ at, pod: "frontend-1" }] })) };
    };
    const live = step({ rolledOutAt: "2026-11-21T06:00:00Z" });
    expect(stepOutcome(live, killed("2026-11-19T12:00:00Z"), now, week)).toEqual({
      previous: live,
      observeSince: "2026-11-21T06:00:00Z",
      holdMemoryDecreases: "OOM-killed 2026-11-19 12:00 UTC, before #12 rolled out; memory is not lowered while that kill is inside the policy's window (7 days)",
    });
    // A kill after the rollout is in the fresh window itself: the engine's OOM rule sees it, no hold is added.
    expect(stepOutcome(live, killed("2026-11-22T12:00:00Z"), now, week)).toEqual({ previous: live, observeSince: "2026-11-21T06:00:00Z" });
    expect(stepOutcome(live, killed("2026-11-21T00:00:00Z"), now, 60 * 3_600).holdMemoryDecreases).toMatch(/^OOM-killed 2026-11-21 00:00 UTC, .*\(60 hours\)$/);
  });

  it("takes the merge time as the rollout for a step found in git history (the CLI), the earliest it could have rolled out", () => {
    const fromGit = step({ number: undefined, commit: "0123456789abcdef" });
    expect(stepOutcome(fromGit, running("250m", "256Mi"), now, week)).toEqual({ previous: fromGit, observeSince: "2026-11-20T09:00:00Z" });
    expect(stepOutcome(fromGit, running("500m", "512Mi"), now, week).holdDecreases).toMatch(/^waiting for the rollout: the change of 0123456 \(merged 2026-11-20\)/);
  });

  it("keeps the latest merged step of each workload, with its rollout and verdict", () => {
    const merged = (number: number, at: string, verification?: { rolledOutAt: string; verdict: "fits" }) => ({
      number,
      body: "",
      records: [],
      state: { version: 1 as const, branch: "b", workloads: [{ key: KEY, inputsDigest: "0", containers: { web: { cpu: `${number}m` } } }], merged: { at, commit: "c" }, ...(verification ? { verification } : {}) },
    });
    const steps = stepsFromPullRequests([merged(3, "2026-11-01T00:00:00Z"), merged(9, "2026-11-15T00:00:00Z", { rolledOutAt: "2026-11-15T06:00:00Z", verdict: "fits" })]);
    expect(steps.get(KEY)).toEqual({ key: KEY, number: 9, mergedAt: "2026-11-15T00:00:00Z", requests: { web: { cpu: "9m" } }, rolledOutAt: "2026-11-15T06:00:00Z", verdict: "fits" });
  });
});

describe("the run observes a step from its rollout (SPEC §8)", () => {
  it("observes the merged workload again from its rollout, and sizes it on that window", async () => {
    const repo = exampleRepo();
    try {
      // The example repository's frontend runs 500m; say #12 merged that 500m, live since two days.
      const merged = new Map([[KEY, { key: KEY, number: 12, mergedAt: "2026-11-20T09:00:00Z", requests: { web: { cpu: "500m", memory: "512Mi" } }, rolledOutAt: "2026-11-21T06:00:00Z" }]]);
      const windows: string[] = [];
      const run = await proposeForRepository({
        checkout: await openLocalCheckout(new GitWorkspace(repo.work)),
        policy: loadPolicyFromFiles,
        observe: async (loaded, scope) => {
          windows.push(`${loaded.policy.observe.window.text} ${JSON.stringify(scope)}`);
          const workloads = scope.namespaces ? [{ ...FRONTEND, window: { from: "2026-11-21T06:00:00Z", to: EXAMPLE.createdAt }, coverage: 0.2 }] : EXAMPLE.workloads;
          return { snapshot: { ...EXAMPLE, workloads }, at: EXAMPLE.createdAt };
        },
        steps: async () => merged,
        selection: { targets: [{ kind: "deployment", name: "frontend" }] },
      });
      // Two days since the rollout, 23 Nov 06:00 − 21 Nov 06:00 = 172,800 s, in the frontend's namespace only.
      expect(windows).toEqual(["7d {}", '172800s {"cluster":"prod","namespaces":["shop"]}']);
      const frontend = run.selected[0]!;
      expect(frontend.record.observation.window.from).toBe("2026-11-21T06:00:00Z");
      expect(frontend.previous).toEqual(merged.get(KEY));
      // 20% coverage over two days is a LOW confidence: the decrease waits.
      expect(frontend.record.decision.action).toBe("hold");
    } finally {
      repo.cleanup();
    }
  });

  it("drops a step whose values a person changed in the manifest since (it would hold decreases forever)", async () => {
    const repo = exampleRepo();
    try {
      const merged = new Map([[KEY, { key: KEY, number: 12, mergedAt: "2026-11-20T09:00:00Z", requests: { web: { cpu: "300m", memory: "512Mi" } } }]]);
      const run = await proposeForRepository({
        checkout: await openLocalCheckout(new GitWorkspace(repo.work)),
        policy: loadPolicyFromFiles,
        observe: async () => ({ snapshot: EXAMPLE, at: EXAMPLE.createdAt }),
        steps: async () => merged,
        selection: { targets: [{ kind: "deployment", name: "frontend" }] },
      });
      expect(run.selected[0]!.previous).toBeUndefined();
      expect(run.selected[0]!.record.decision.action).toBe("propose");
    } finally {
      repo.cleanup();
    }
  });
});
