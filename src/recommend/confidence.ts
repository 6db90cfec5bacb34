import type { ConfidenceLevel } from "../policy/index.js";
import { describeDuration, describeRatio, thousands } from "./describe.js";
import type { ContainerDecision } from "./record.js";

export type Confidence = ContainerDecision["confidence"];
type Factor = Confidence["factors"][number];

/** SPEC §5: HIGH at 80 or more, MEDIUM at 50 or more, LOW below. */
export const CONFIDENCE_THRESHOLDS = { HIGH: 80, MEDIUM: 50 } as const;

const LEVEL_ORDER: Record<ConfidenceLevel, number> = { LOW: 0, MEDIUM: 1, HIGH: 2 };

export function confidenceAtLeast(level: ConfidenceLevel, minimum: ConfidenceLevel): boolean {
  return LEVEL_ORDER[level] >= LEVEL_ORDER[minimum];
}

export function lowestConfidence(levels: readonly ConfidenceLevel[]): ConfidenceLevel {
  return levels.reduce<ConfidenceLevel>((lowest, level) => (LEVEL_ORDER[level] < LEVEL_ORDER[lowest] ? level : lowest), "HIGH");
}

function levelOf(score: number): ConfidenceLevel {
  return score >= CONFIDENCE_THRESHOLDS.HIGH ? "HIGH" : score >= CONFIDENCE_THRESHOLDS.MEDIUM ? "MEDIUM" : "LOW";
}

const SAMPLES_FOR_HIGH = 1_000;
const RESTART_PENALTY = 5;
const RESTART_PENALTY_MAX = 20;
const MISSING_METRIC_PENALTY = 25;
/** SPEC §4: evidence that could not be measured (restarts, OOM kills, throttling, live requests, owners, Job timing) lowers confidence. */
const UNKNOWN_EVIDENCE_PENALTY = 10;

export const CONTINUOUS_FORMULA =
  "score = min(window, coverage, samples) − 5 per restart (at most 20) − 25 per missing metric − 10 per unknown evidence, floored, within 0–100; " +
  "window points: 0 → 0, 1d → 50, 7d → 80, 14d or more → 100 (linear between); " +
  "coverage points: 0% → 0, 70% → 50, 90% → 80, 100% → 100 (linear between); " +
  "samples: 1,000 or more per container → 100, fewer → 79 (no HIGH); " +
  "level: HIGH ≥ 80, MEDIUM ≥ 50, else LOW";

export interface ContinuousEvidence {
  windowSeconds: number;
  coverage: number;
  /** Fewest samples among the container's metrics; undefined when it has none. */
  samples: number | undefined;
  restarts: number;
  missingMetrics: readonly string[];
  /** Evidence other than usage that the source could not measure, in words ("restarts unknown (no …)"). */
  unknownEvidence?: readonly string[];
}

/**
 * SPEC §5 continuous confidence. Each factor maps onto the 0–100 scale so that its SPEC
 * threshold lands exactly on a level boundary (7d and 90% at 80, 24h and 70% at 50): the
 * score reaches HIGH only when every HIGH condition holds, and MEDIUM only when every MEDIUM
 * condition holds. Restarts and missing metrics subtract.
 */
export function continuousConfidence(evidence: ContinuousEvidence): Confidence {
  const days = evidence.windowSeconds / 86_400;
  const factors: Factor[] = [
    { name: "window", observed: windowText(evidence.windowSeconds), points: tiered(days, WINDOW_DAYS), effect: "cap" },
    { name: "coverage", observed: coverageText(evidence.coverage), points: tiered(evidence.coverage, COVERAGE), effect: "cap" },
    {
      name: "samples",
      observed: evidence.samples === undefined ? "none" : thousands(evidence.samples),
      points: evidence.samples !== undefined && evidence.samples >= SAMPLES_FOR_HIGH ? 100 : CONFIDENCE_THRESHOLDS.HIGH - 1,
      effect: "cap",
    },
  ];
  if (evidence.restarts > 0) {
    factors.push({
      name: "restarts",
      observed: String(evidence.restarts),
      points: Math.min(RESTART_PENALTY_MAX, RESTART_PENALTY * evidence.restarts),
      effect: "penalty",
    });
  }
  for (const metric of evidence.missingMetrics) {
    factors.push({ name: "missing metrics", observed: metric, points: MISSING_METRIC_PENALTY, effect: "penalty" });
  }
  if (evidence.unknownEvidence && evidence.unknownEvidence.length > 0) factors.push(...unknownFactors(evidence.unknownEvidence));
  return scored(factors);
}

const WINDOW_DAYS = [1, 7, 14] as const;
const COVERAGE = [0.7, 0.9, 1] as const;

// Every container of a workload shares its window and coverage: the last text is kept.
let lastWindow = { seconds: NaN, text: "" };
let lastCoverage = { ratio: NaN, text: "" };

function windowText(seconds: number): string {
  if (lastWindow.seconds !== seconds) lastWindow = { seconds, text: describeDuration(seconds) };
  return lastWindow.text;
}

function coverageText(ratio: number): string {
  if (lastCoverage.ratio !== ratio) lastCoverage = { ratio, text: describeRatio(ratio) };
  return lastCoverage.text;
}

function unknownFactors(unknown: readonly string[]): Factor[] {
  return unknown.map((observed) => ({ name: "unknown evidence", observed, points: UNKNOWN_EVIDENCE_PENALTY, effect: "penalty" as const }));
}

/**
 * Points for a value against the thresholds that mean MEDIUM, HIGH and full marks: linear
 * from 0 to 50 below the first, 50 to 80 up to the second, 80 to 100 up to the third. Each
 * band is clamped so floating-point error never lifts a value across a boundary.
 */
function tiered(value: number, [medium, high, full]: readonly [number, number, number]): number {
  if (value >= full) return 100;
  if (value >= high) return clamp(80 + floorPoints((20 * (value - high)) / (full - high)), 80, 100);
  if (value >= medium) return clamp(50 + floorPoints((30 * (value - medium)) / (high - medium)), 50, 79);
  return clamp(floorPoints((50 * value) / medium), 0, 49);
}

/** Whole points, tolerant of binary fractions (0.95 − 0.9 is 0.0499…, which must still give 10). */
function floorPoints(points: number): number {
  return Math.floor(points + 1e-9);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** The factors are the caller's own list, which the confidence keeps. */
function scored(factors: Factor[]): Confidence {
  let cap = 100;
  let penalties = 0;
  for (const factor of factors) {
    if (factor.effect === "cap") cap = Math.min(cap, factor.points);
    else penalties += factor.points;
  }
  const score = clamp(cap - penalties, 0, 100);
  return { level: levelOf(score), score, factors };
}

export const RUN_BASED_FORMULA =
  "score by successful runs r: 0 → 0; 1–4 → 10 × r (LOW); 5–9 → 50 + 6 × (r − 5) (MEDIUM); " +
  "10 or more → 80 + 2 × (r − 10), at most 100 (HIGH); any failed run caps the score at 79 (HIGH needs every run to succeed); − 10 per unknown evidence; " +
  "level: HIGH ≥ 80, MEDIUM ≥ 50, else LOW";

/** SPEC §5 run-based confidence: by successful runs, 1–4 LOW, 5–9 MEDIUM, 10 or more HIGH. */
export function runBasedConfidence(succeeded: number, failed: number, unknownEvidence: readonly string[] = []): Confidence {
  const byRuns = succeeded >= 10 ? Math.min(100, 80 + 2 * (succeeded - 10)) : succeeded >= 5 ? 50 + 6 * (succeeded - 5) : 10 * succeeded;
  const factors: Factor[] = [{ name: "successful runs", observed: String(succeeded), points: byRuns, effect: "cap" }];
  if (failed > 0) {
    // kubenow v0.3: HIGH only "if all runs succeeded".
    factors.push({ name: "failed runs", observed: String(failed), points: CONFIDENCE_THRESHOLDS.HIGH - 1, effect: "cap" });
  }
  if (unknownEvidence.length > 0) factors.push(...unknownFactors(unknownEvidence));
  return scored(factors);
}
