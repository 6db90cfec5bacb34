import type { ConfidenceLevel, RecommendPolicy, SafetyRating } from "../policy/index.js";
import { describeRatio, plural } from "./describe.js";

export interface SafetyEvidence {
  oomKills: number;
  restarts: number;
  throttledRatio: number;
  /** max ÷ p95 per resource (Infinity when p95 is zero and max is not). */
  peakToP95: { cpu?: number; memory?: number };
  confidence: ConfidenceLevel;
  /** Evidence of this resource the source could not measure, in words: never SAFE without it (SPEC §4). */
  unknown?: readonly string[];
}

export interface SafetyAssessment {
  rating: SafetyRating;
  /** The evidence that set the rating, in words; empty for SAFE. */
  because: string[];
}

const SAFETY_ORDER: Record<SafetyRating, number> = { SAFE: 0, CAUTION: 1, RISKY: 2, UNSAFE: 3 };

export function worstSafety(ratings: readonly SafetyRating[]): SafetyRating {
  let worst: SafetyRating = "SAFE";
  for (const rating of ratings) if (SAFETY_ORDER[rating] > SAFETY_ORDER[worst]) worst = rating;
  return worst;
}

/** The worse of two ratings. */
export function worseSafety(a: SafetyRating, b: SafetyRating): SafetyRating {
  return SAFETY_ORDER[b] > SAFETY_ORDER[a] ? b : a;
}

/**
 * SPEC §5 (kubenow): UNSAFE at ≥ 5 OOM kills or ≥ 20 restarts; RISKY at ≥ 3 OOM kills, > 5
 * restarts or max/p95 > 3; CAUTION at ≥ 1 OOM kill, ≥ 1 restart, throttling > 10%, LOW
 * confidence or unknown evidence (SPEC §4: a metric that is missing is not health); else SAFE.
 * Every threshold is a policy setting.
 */
export function rateSafety(evidence: SafetyEvidence, thresholds: RecommendPolicy["safety"]): SafetyAssessment {
  // Sentences are written only for the thresholds crossed: this runs three times per container.
  const { oomKills, restarts } = evidence;

  const unsafeOom = oomKills >= thresholds.unsafe.oomKills;
  const unsafeRestarts = restarts >= thresholds.unsafe.restarts;
  if (unsafeOom || unsafeRestarts) {
    const because: string[] = [];
    if (unsafeOom) because.push(`${plural(oomKills, "OOM kill")} in the window (UNSAFE at ${thresholds.unsafe.oomKills} or more)`);
    if (unsafeRestarts) because.push(`${plural(restarts, "restart")} in the window (UNSAFE at ${thresholds.unsafe.restarts} or more)`);
    return { rating: "UNSAFE", because };
  }

  let risky: string[] | undefined;
  if (oomKills >= thresholds.risky.oomKills) (risky ??= []).push(`${plural(oomKills, "OOM kill")} in the window (RISKY at ${thresholds.risky.oomKills} or more)`);
  if (restarts > thresholds.risky.restartsAbove) (risky ??= []).push(`${plural(restarts, "restart")} in the window (RISKY above ${thresholds.risky.restartsAbove})`);
  const peakAbove = thresholds.risky.peakToP95Above;
  for (const resource of RESOURCES) {
    const ratio = evidence.peakToP95[resource];
    if (ratio !== undefined && ratio > peakAbove) {
      (risky ??= []).push(`${resource} max is ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : "many times"} its p95 (RISKY above ${peakAbove}×)`);
    }
  }
  if (risky) return { rating: "RISKY", because: risky };

  let caution: string[] | undefined;
  if (oomKills >= thresholds.caution.oomKills) (caution ??= []).push(`${plural(oomKills, "OOM kill")} in the window`);
  if (restarts >= thresholds.caution.restarts) (caution ??= []).push(`${plural(restarts, "restart")} in the window`);
  if (evidence.throttledRatio > thresholds.caution.throttledRatioAbove) {
    (caution ??= []).push(`CPU throttled in ${describeRatio(evidence.throttledRatio)} of periods (CAUTION above ${describeRatio(thresholds.caution.throttledRatioAbove)})`);
  }
  if (evidence.confidence === "LOW") (caution ??= []).push("confidence is LOW");
  if (evidence.unknown && evidence.unknown.length > 0) (caution ??= []).push(...evidence.unknown);
  if (caution) return { rating: "CAUTION", because: caution };
  return { rating: "SAFE", because: [] };
}

const RESOURCES = ["cpu", "memory"] as const;

export function peakToP95(max: bigint, p95: bigint): number {
  if (p95 === 0n) return max === 0n ? 0 : Infinity;
  return Number(max) / Number(p95);
}
