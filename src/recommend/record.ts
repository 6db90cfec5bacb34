import { z } from "zod";
import { CONTAINER_EVIDENCE, IsoTimeSchema, WORKLOAD_EVIDENCE, WORKLOAD_KINDS } from "../domain/index.js";
import { CONFIDENCE_LEVELS, SAFETY_RATINGS } from "../policy/index.js";

/**
 * The decision record (`decision.json`, SPEC §6): the machine-readable account of one workload's
 * recommendation. Other tools read these field names, so this zod schema is the only definition;
 * `schemas/decision.schema.json` is generated from it.
 */


/** Quantity strings as they would be written in the manifest; an absent key means "not set". */
const resourceValues = z.object({ cpu: z.string().optional(), memory: z.string().optional() });
const resources = z.object({ requests: resourceValues, limits: resourceValues });

const usageStatistics = z.object({
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
  mean: z.number(),
  /** Samples in the window; for run-based observation, the successful runs measured. */
  samples: z.number().int(),
});

const confidenceFactor = z.object({
  name: z.string(),
  /** The observed value the factor scores, in words (`7d`, `95%`, `2 restarts`). */
  observed: z.string(),
  /** Points on the 0–100 scale; `cap` factors bound the score, `penalty` factors subtract. */
  points: z.number(),
  effect: z.enum(["cap", "penalty"]),
});

/** A step change in the series (SPEC §5): sizing used the part after it. */
const stepChange = z.object({
  at: IsoTimeSchema,
  /** Mean of the 24h before and after the step (cores or bytes). */
  before: z.number(),
  after: z.number(),
  /** Seconds of data after the step, which the statistic was taken from. */
  secondsAfter: z.number(),
});

/** The robust slope of the series (SPEC §5 trends). */
const trend = z.object({
  /** Theil–Sen slope of the daily peaks, in cores or bytes per day. */
  slopePerDay: z.number(),
  /** Whole days the slope was fitted on. */
  days: z.number().int(),
  /** Mann–Kendall z of the daily peaks; growing needs z ≥ 1.645 (p < 0.05). */
  z: z.number(),
  growing: z.boolean(),
  /** `recommend.trend.horizon`. */
  horizon: z.string(),
  /** What the request covers when growing: the statistic plus slope × horizon (canonical quantity). */
  projected: z.string().nullable(),
});

/**
 * SPEC §5: the spread a variability margin was computed from: margin = clamp(ratio ×
 * recommend.cpu.variability.headroom, min, max), rounded up to 0.01 (the reasons show it worked out).
 */
const variability = z.object({
  percentile: z.string(),
  /** CPU: the variability percentile's value ÷ the sizing percentile's value; memory: the sizing percentile's ÷ the variability percentile's. */
  ratio: z.number(),
  /** Memory: (max + the daily peaks' rise over the trend horizon) ÷ max; 1 when they do not rise. */
  drift: z.number().optional(),
});

/** How one request was derived, step by step, so a reviewer can redo the arithmetic. */
const derivation = z.object({
  percentile: z.string(),
  /** The percentile's value (canonical quantity). */
  observed: z.string(),
  margin: z.number(),
  /** percentile × margin, before floors, rounding, holds and bounds (OptiPod Property 14). */
  target: z.string(),
  /** The value recommended before hysteresis compares it with the current request. */
  computed: z.string(),
  /** Where the margin came from: the rating's constant, the container's variability, or none after OOM kills (the OOM rule is not stacked with a margin). */
  marginFrom: z.enum(["rating", "variability", "oom-rule"]).optional(),
  variability: variability.optional(),
  /** Present when the series showed a step change; `observed` is then the statistic after it. */
  step: stepChange.optional(),
  /** Present when the series was long enough for a slope (at least two whole days). */
  trend: trend.optional(),
});

/** Monthly change in cost (the policy's currency; negative saves), for the whole workload (× replicas). */
const monthlyCost = z.object({ cpu: z.number(), memory: z.number(), total: z.number() });

export const ContainerDecisionSchema = z.object({
  name: z.string(),
  current: resources,
  usage: z.object({ cpu: usageStatistics.nullable(), memory: usageStatistics.nullable() }),
  /**
   * What the window showed. Version 2: evidence the source could not measure is null and listed in
   * `unknown` with the metric that was missing (SPEC §4: missing evidence is never health).
   */
  evidence: z.object({
    oomKills: z.array(z.object({ at: IsoTimeSchema, pod: z.string() })).nullable(),
    restarts: z.number().int().nullable(),
    throttledRatio: z.number().nullable(),
    unknown: z.array(z.object({ evidence: z.enum([...CONTAINER_EVIDENCE, ...WORKLOAD_EVIDENCE]), metric: z.string() })).optional(),
  }),
  /** The worst of the per-resource ratings. */
  safety: z.enum(SAFETY_RATINGS),
  /** SPEC §5: CPU evidence rates CPU, memory evidence rates memory, restarts and LOW confidence both; absent in records before per-resource ratings. */
  safetyByResource: z.object({ cpu: z.enum(SAFETY_RATINGS), memory: z.enum(SAFETY_RATINGS) }).optional(),
  confidence: z.object({
    level: z.enum(CONFIDENCE_LEVELS),
    score: z.number().int().min(0).max(100),
    factors: z.array(confidenceFactor),
  }),
  recommended: resources,
  derivation: z.object({ cpu: derivation.nullable(), memory: derivation.nullable() }),
  /** Signed percent change of each request (one decimal); null when there is no current request or no recommendation. */
  change: z.object({ cpu: z.number().nullable(), memory: z.number().nullable() }),
  /**
   * `change`: the manifest should be edited to `recommended`. `none`: leave it; a nonzero `change`
   * with `none` means the change is held back (the reasons say why). `blocked`: no recommendation.
   */
  action: z.enum(["change", "none", "blocked"]),
  reasons: z.array(z.string()),
  /** Monthly cost change of this container's proposed requests; absent when nothing is proposed, and for a regular init container (it costs nothing while the pod runs). */
  cost: monthlyCost.optional(),
  /** An increase proposed past a gate (UNSAFE, low confidence): what a reviewer should look at. */
  attention: z.array(z.string()).optional(),
});

const perRunPeaks = z.object({
  run: z.string(),
  startedAt: IsoTimeSchema,
  durationSeconds: z.number(),
  exitCode: z.number().int().nullable(),
  succeeded: z.boolean(),
  /** Container name → peak CPU (cores) and peak memory working set (bytes) of the run. */
  containers: z.record(z.string(), z.object({ cpuPeak: z.number(), memoryPeak: z.number() })),
});

/** The version records are written in; version 1 (no unknown evidence) is still read. */
export const DECISION_RECORD_SCHEMA_VERSION = 2;

export const DecisionRecordSchema = z.object({
  schemaVersion: z.union([z.literal(1), z.literal(2)]),
  tool: z.object({ name: z.string(), version: z.string() }),
  createdAt: IsoTimeSchema,
  policy: z.object({ path: z.string(), apiVersion: z.string(), sha256: z.string() }),
  workload: z.object({
    cluster: z.string(),
    namespace: z.string(),
    kind: z.enum(WORKLOAD_KINDS),
    name: z.string(),
    manifest: z
      .object({ path: z.string(), document: z.number().int().nonnegative(), yamlPath: z.array(z.union([z.string(), z.number()])).optional() })
      .nullable(),
  }),
  observation: z.object({
    source: z.string(),
    mode: z.enum(["continuous", "run-based"]),
    window: z.object({ from: IsoTimeSchema, to: IsoTimeSchema }),
    coverage: z.number(),
    pods: z.number().int(),
    /**
     * A reference to the queries the observation rests on: their ids in the snapshot's `queries`
     * (snapshot schema version 2, README "Observing"). Records written before it hold the PromQL text.
     */
    queries: z.array(z.string()),
    /** Run-based observation only (null when continuous): counts and the per-run peaks. */
    runs: z
      .object({
        observed: z.number().int(),
        succeeded: z.number().int(),
        failed: z.number().int(),
        perRunPeaks: z.array(perRunPeaks),
      })
      .nullable(),
  }),
  containers: z.array(ContainerDecisionSchema),
  /** SPEC §11: the monthly cost change of the proposal, priced with the policy's `cost` section. */
  cost: z
    .object({
      currency: z.string(),
      cpuCoreHour: z.number(),
      memoryGiBHour: z.number(),
      hoursPerMonth: z.number(),
      /** Pods observed (continuous), or the average number running (run-based: run time ÷ window). */
      replicas: z.number(),
      monthly: monthlyCost,
    })
    .optional(),
  /** How the containers' confidence scores were computed from their factors (one formula per mode). */
  confidenceFormula: z.string(),
  decision: z.object({
    action: z.enum(["propose", "hold", "blocked"]),
    reasons: z.array(z.string()),
    /** The worst container rating and the lowest container confidence: what PR labels show. */
    safety: z.enum(SAFETY_RATINGS),
    confidence: z.enum(CONFIDENCE_LEVELS),
    /** "needs attention" lines: increases proposed past an UNSAFE rating or low confidence. */
    attention: z.array(z.string()).optional(),
  }),
  /** sha256 (hex) of the canonical JSON of the inputs: observation, policy, policy source, manifest, time. */
  inputsDigest: z.string().regex(/^[0-9a-f]{64}$/),
});

export type DecisionRecord = z.infer<typeof DecisionRecordSchema>;
export type ContainerDecision = z.infer<typeof ContainerDecisionSchema>;
export type ContainerAction = ContainerDecision["action"];
export type WorkloadDecision = DecisionRecord["decision"];
