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
  return ratings.reduce<SafetyRating>((worst, rating) => (SAFETY_ORDER[rating] > SAFETY_ORDER[worst] ? rating : worst), "SAFE");
}

/**
 * SPEC §5 (kubenow): UNSAFE at ≥ 5 OOM kills or ≥ 20 restarts; RISKY at ≥ 3 OOM kills, > 5
 * restarts or max/p95 > 3; CAUTION at ≥ 1 OOM kill, ≥ 1 restart, throttling > 10%, LOW
 * confidence or unknown evidence (SPEC §4: a metric that is missing is not health); else SAFE.
 * Every threshold is a policy setting.
 */
export function rateSafety(evidence: SafetyEvidence, thresholds: RecommendPolicy["safety"]): SafetyAssessment {
  const oom = plural(evidence.oomKills, "OOM kill");
  const restarts = plural(evidence.restarts, "restart");

  const unsafe = [
    ...(evidence.oomKills >= thresholds.unsafe.oomKills ? [`${oom} in the window (UNSAFE at ${thresholds.unsafe.oomKills} or more)`] : []),
    ...(evidence.restarts >= thresholds.unsafe.restarts ? [`${restarts} in the window (UNSAFE at ${thresholds.unsafe.restarts} or more)`] : []),
  ];
  if (unsafe.length > 0) return { rating: "UNSAFE", because: unsafe };

  const spiky = (["cpu", "memory"] as const).flatMap((resource) => {
    const ratio = evidence.peakToP95[resource];
    return ratio !== undefined && ratio > thresholds.risky.peakToP95Above
      ? [`${resource} max is ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : "many times"} its p95 (RISKY above ${thresholds.risky.peakToP95Above}×)`]
      : [];
  });
  const risky = [
    ...(evidence.oomKills >= thresholds.risky.oomKills ? [`${oom} in the window (RISKY at ${thresholds.risky.oomKills} or more)`] : []),
    ...(evidence.restarts > thresholds.risky.restartsAbove ? [`${restarts} in the window (RISKY above ${thresholds.risky.restartsAbove})`] : []),
    ...spiky,
  ];
  if (risky.length > 0) return { rating: "RISKY", because: risky };

  const caution = [
    ...(evidence.oomKills >= thresholds.caution.oomKills ? [`${oom} in the window`] : []),
    ...(evidence.restarts >= thresholds.caution.restarts ? [`${restarts} in the window`] : []),
    ...(evidence.throttledRatio > thresholds.caution.throttledRatioAbove
      ? [`CPU throttled in ${describeRatio(evidence.throttledRatio)} of periods (CAUTION above ${describeRatio(thresholds.caution.throttledRatioAbove)})`]
      : []),
    ...(evidence.confidence === "LOW" ? ["confidence is LOW"] : []),
    ...(evidence.unknown ?? []),
  ];
  if (caution.length > 0) return { rating: "CAUTION", because: caution };
  return { rating: "SAFE", because: [] };
}

export function peakToP95(max: bigint, p95: bigint): number {
  if (p95 === 0n) return max === 0n ? 0 : Infinity;
  return Number(max) / Number(p95);
}
