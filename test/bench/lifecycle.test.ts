import { describe, expect, it } from "vitest";
import { CI_WORKLOADS, simulate } from "../../bench/lifecycle/simulation.js";

/*
 * The lifecycle simulation's three-week version (SPEC §8): nine workloads — one of each behaviour
 * (steady, bursty, a growth step, a leak, spikes that OOM after a cut, a nightly CronJob)
 * and of each place (plain manifests, two siblings of one kustomize base, Helm values) — with the
 * scripted people and every invariant checked after every step (a broken one throws). The ten-week
 * run on all twenty workloads and three seeds is the benchmark: `npx tsx bench/lifecycle.bench.ts`.
 */
describe("three weeks of living with rightsize", () => {
  it("holds every invariant, and each was put to the test", async () => {
    const result = await simulate({ weeks: 3, seed: 1, workloads: CI_WORKLOADS });
    // Each invariant was checked many times, not vacuously.
    for (const [invariant, count] of Object.entries(result.checks)) expect(count, invariant).toBeGreaterThan(0);
    // The people did what the script says, and rightsize answered.
    const total = (field: "opened" | "merged" | "declined" | "rebased") => result.perWeek.reduce((sum, week) => sum + week[field], 0);
    expect(total("opened")).toBeGreaterThan(CI_WORKLOADS.length);
    expect(total("merged")).toBeGreaterThan(CI_WORKLOADS.length / 2);
    expect(total("declined")).toBeGreaterThan(0);
    // The sibling overlay proposals conflict in kustomization.yaml after the first merges; rightsize rebuilt the other.
    expect(total("rebased")).toBeGreaterThan(0);
    // orders runs spikes every ten days: cut in week 1, OOM-killed on day 9, answered (invariant vi).
    expect(result.oomKillsAfterCuts).toBeGreaterThan(0);
    // The requests cost less at the end than at the start.
    expect(result.perWeek.at(-1)!.monthlyCost).toBeLessThan(result.initialMonthlyCost * 0.8);
  }, 240_000);
});
