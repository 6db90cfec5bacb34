import type { WorkloadObservation } from "../../domain/index.js";
import { plural } from "../../recommend/index.js";
import type { MergedInHistory } from "./history.js";
import { isRolledOut, type MergedRequests, type Verdict } from "./verification.js";
import type { MergedProposal } from "./verify-merged.js";

/**
 * SPEC §8, steps not stacks: after a merged proposal, a workload's resources are not decreased
 * again until the merged values run in the cluster and a fresh window since that rollout reaches
 * the policy's minimum confidence; increases the new data justify go at once. What GitHub (or,
 * for the CLI, git) holds about the last merged step decides, with what the cluster runs now.
 */
export interface MergedStep {
  /** The workload key. */
  key: string;
  /** The merged pull request (the app), or the commit that merged it (git history, the CLI). */
  number?: number;
  commit?: string;
  mergedAt: string;
  /** The requests it merged, per container. */
  requests: MergedRequests;
  /** When rightsize first saw them running (recorded by the check after merge). */
  rolledOutAt?: string;
  /** The check after merge's verdict, once given. */
  verdict?: Verdict;
}

/** What a merged step means for the next proposal of its workload. */
export interface StepOutcome {
  previous: MergedStep;
  /** Decreases are held, and why; undefined once a fresh window since the rollout may decide. */
  holdDecreases?: string;
  /** Observe from here (the rollout), not from the start of the policy's window. */
  observeSince?: string;
  /**
   * Memory is not lowered, and why: the policy's window holds an OOM kill from before the rollout,
   * which the fresh window the next step is sized on no longer shows.
   */
  holdMemoryDecreases?: string;
}

/** The latest merged step of each workload, from the merged pull requests GitHub lists. */
export function stepsFromPullRequests(merged: readonly MergedProposal[]): Map<string, MergedStep> {
  const steps = new Map<string, MergedStep>();
  for (const proposal of [...merged].sort((a, b) => Date.parse(b.state.merged.at) - Date.parse(a.state.merged.at))) {
    for (const workload of proposal.state.workloads) {
      if (steps.has(workload.key)) continue;
      const verification = proposal.state.verification;
      steps.set(workload.key, {
        key: workload.key,
        number: proposal.number,
        mergedAt: proposal.state.merged.at,
        requests: workload.containers,
        ...(verification?.rolledOutAt ? { rolledOutAt: verification.rolledOutAt } : {}),
        ...(verification?.verdict ? { verdict: verification.verdict } : {}),
      });
    }
  }
  return steps;
}

/** The latest merged step of each workload, from the decision records in git history (the CLI). */
export function stepsFromHistory(merged: readonly MergedInHistory[]): Map<string, MergedStep> {
  return new Map(merged.map((entry) => [entry.key, { key: entry.key, commit: entry.commit, mergedAt: entry.at, requests: entry.merged }]));
}

/**
 * The rule for one workload. Not running the merged values yet: decreases wait. Running them,
 * but not seen before now: the fresh window is empty, decreases wait. Running them since T: the
 * observation starts at T while T is inside the policy's window, and the confidence of that
 * fresh window decides as for any proposal. Git history records no rollout time; the merge time
 * stands for it there, the earliest the change could have rolled out.
 */
export function stepOutcome(step: MergedStep, observation: WorkloadObservation | undefined, now: Date, windowSeconds: number): StepOutcome {
  const what = step.number !== undefined ? `#${step.number}` : `the change of ${step.commit?.slice(0, 7) ?? "an earlier commit"}`;
  const windowStart = now.getTime() - windowSeconds * 1000;
  const live = observation !== undefined && isRolledOut(step.requests, observation);
  if (!live) {
    return { previous: step, holdDecreases: `waiting for the rollout: ${what} (merged ${day(step.mergedAt)}) does not run in the cluster yet; decreases wait until it does and a fresh window since then is long enough` };
  }
  const since = step.rolledOutAt ?? (step.number !== undefined ? undefined : step.mergedAt);
  if (since === undefined) {
    return { previous: step, holdDecreases: `waiting for data: ${what} has just rolled out; decreases wait for a fresh window since the rollout` };
  }
  if (Date.parse(since) <= windowStart) return { previous: step };
  const kills = observation.containers.flatMap((container) => container.oomKills.map((kill) => kill.at)).filter((at) => Date.parse(at) < Date.parse(since));
  if (kills.length === 0) return { previous: step, observeSince: since };
  const last = kills.reduce((latest, at) => (Date.parse(at) > Date.parse(latest) ? at : latest));
  return {
    previous: step,
    observeSince: since,
    holdMemoryDecreases: `OOM-killed ${minute(last)}, before ${what} rolled out; memory is not lowered while that kill is inside the policy's window (${span(windowSeconds)})`,
  };
}

function span(seconds: number): string {
  const [count, unit] = seconds % 86_400 === 0 ? [seconds / 86_400, "day"] : seconds % 3_600 === 0 ? [seconds / 3_600, "hour"] : [seconds, "second"];
  return plural(count, unit);
}

function minute(at: string): string {
  return `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;
}

function day(at: string): string {
  return at.slice(0, 10);
}
