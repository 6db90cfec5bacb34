import { CronExpressionParser } from "cron-parser";
import { quoteShort } from "../yaml/index.js";
import { z } from "zod";
import { parseQuantity, type Quantity, WORKLOAD_KINDS } from "../domain/index.js";

/**
 * The policy file `.github/rightsize.yml`, version `rightsize.dev/v1alpha2` (SPEC §7). This
 * schema is the only definition of the format: the TypeScript types are inferred from it, the
 * defaults live in it, and `schemas/policy.schema.json` is generated from it.
 */

export const POLICY_KIND = "RightsizePolicy";
export const CURRENT_API_VERSION = "rightsize.dev/v1alpha2";

export interface Duration {
  text: string;
  seconds: number;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

export function parseDuration(text: string): Duration | undefined {
  if (text === "0") return { text, seconds: 0 };
  const match = /^(\d+)(s|m|h|d|w)$/.exec(text);
  return match ? { text, seconds: Number(match[1]) * DURATION_UNITS[match[2]!]! } : undefined;
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, context): Duration => {
      const parsed = parseDuration(text);
      if (parsed) return parsed;
      context.addIssue({ code: "custom", message: `expected a duration such as 15m, 36h, 7d, got ${quoteShort(text)}` });
      return z.NEVER;
    })
    .describe("a duration such as 15m, 36h, 7d");

const quantity = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, context): Quantity => {
      try {
        return parseQuantity(String(value), "quantity");
      } catch (error) {
        // The quantity parser's message quotes the value and hints at the fix; a long value is only quoted in part.
        const text = String(value);
        const message = text.length <= 40 ? (error as Error).message.replace(/^quantity: /, "") : `expected a Kubernetes quantity such as 500m, 2, 512Mi, got ${quoteShort(text)}`;
        context.addIssue({ code: "custom", message });
        return z.NEVER;
      }
    })
    .describe("a Kubernetes quantity such as 500m, 2, 512Mi");

const cronExpression = z.string().describe('a 5-field cron expression such as "0 6 * * 1"').superRefine((text, context) => {
  if (text.trim().split(/\s+/).length !== 5) {
    context.addIssue({ code: "custom", message: `expected a 5-field cron expression such as "0 6 * * 1", got ${quoteShort(text)}` });
    return;
  }
  try {
    CronExpressionParser.parse(text);
  } catch (error) {
    context.addIssue({ code: "custom", message: `invalid cron expression ${quoteShort(text)}: ${quoteShort((error as Error).message).slice(1, -1)}` });
  }
});

const factor = (fallback: number) => z.number().min(1, "expected a number ≥ 1").default(fallback);
const percent = (fallback: number) => z.number().min(0).max(100).default(fallback);
const count = (fallback: number) => z.number().int().nonnegative().default(fallback);

export const SAFETY_RATINGS = ["SAFE", "CAUTION", "RISKY", "UNSAFE"] as const;
export type SafetyRating = (typeof SAFETY_RATINGS)[number];
export const CONFIDENCE_LEVELS = ["LOW", "MEDIUM", "HIGH"] as const;
export type ConfidenceLevel = (typeof CONFIDENCE_LEVELS)[number];
export const LIMIT_MODES = ["keep", "ratio", "memory-equals-request", "remove-cpu"] as const;
export const PERCENTILES = ["p50", "p90", "p95", "p99", "max"] as const;

const margins = (safe: number, caution: number, risky: number) =>
  z.strictObject({ SAFE: factor(safe), CAUTION: factor(caution), RISKY: factor(risky) }).prefault({});

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected the name of an environment variable such as MIMIR_TENANT");

/**
 * How rightsize authenticates to a managed Prometheus, with the vendor's own library (SPEC §4):
 * AWS SigV4 (Amazon Managed Service for Prometheus), Google Application Default Credentials
 * (Google Managed Prometheus), Azure workload or managed identity (Azure Monitor).
 */
const storeAuth = z.discriminatedUnion("provider", [
  z.strictObject({ provider: z.literal("aws"), region: z.string().min(1), service: z.string().min(1).default("aps") }),
  z.strictObject({ provider: z.literal("google"), scopes: z.array(z.string().min(1)).min(1).default(["https://www.googleapis.com/auth/monitoring.read"]) }),
  z.strictObject({ provider: z.literal("azure"), clientId: z.string().min(1).optional(), scope: z.string().min(1).default("https://prometheus.monitor.azure.com/.default") }),
]);

export const PrometheusConnectionSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL such as http://prometheus.monitoring:9090" }),
    /** Names of environment variables, so secrets never live in the policy file. */
    bearerTokenEnv: z.string().optional(),
    basicAuth: z.strictObject({ usernameEnv: z.string(), passwordEnv: z.string() }).optional(),
    auth: storeAuth.optional(),
    tls: z.strictObject({ insecureSkipVerify: z.boolean().default(false), caFile: z.string().optional() }).prefault({}),
    timeout: duration("30s"),
    retries: count(3),
    /** One store for many clusters (Thanos, Mimir, VictoriaMetrics, a federating Prometheus): the label that names the cluster on every series. */
    clusterLabel: z.string().regex(LABEL_NAME, "expected a Prometheus label name such as cluster").optional(),
    /** The label's value for this cluster; default: the cluster's name. */
    clusterLabelValue: z.string().min(1).optional(),
    /** Further request headers (Mimir's X-Scope-OrgID, a proxy's key): a value, or the name of the environment variable that holds it. */
    headers: z
      .record(
        z.string().regex(HEADER_NAME, "expected an HTTP header name such as X-Scope-OrgID"),
        z.union([z.strictObject({ value: z.string() }), z.strictObject({ valueEnv: envName })]),
      )
      .default({}),
    /** The longest query text the store or a proxy in front of it accepts; rightsize cuts its batches to fit. */
    maxQueryLength: z.number().int().min(1024).default(16_384),
    /** Thanos `partial_response`: deny fails a query when a store does not answer; allow takes its warning (the workloads it touches are not proposed). Unset: the store's default. */
    partialResponse: z.enum(["allow", "deny"]).optional(),
  })
  .superRefine((connection, context) => {
    const given = [connection.bearerTokenEnv ? "bearerTokenEnv" : "", connection.basicAuth ? "basicAuth" : "", connection.auth ? "auth" : ""].filter(Boolean);
    if (given.length > 1) context.addIssue({ code: "custom", path: [given[1]!], message: `use one of ${given.join(" and ")}, not both`, input: undefined });
    if (connection.clusterLabelValue !== undefined && connection.clusterLabel === undefined) {
      context.addIssue({ code: "custom", path: ["clusterLabelValue"], message: "clusterLabelValue needs clusterLabel (the label it is a value of)", input: undefined });
    }
  });

const helmValuesTarget = z.strictObject({
  values: z.string().min(1),
  path: z.string().min(1),
  workload: z.strictObject({ kind: z.enum(WORKLOAD_KINDS), name: z.string().min(1), container: z.string().min(1) }),
});

/** SPEC §5: where the CPU and memory margins come from: the container's own variability (default) or the rating's constant. */
export const CPU_MARGIN_SOURCES = ["variability", "rating"] as const;

/** A variability margin's settings: the spread's percentile, headroom, and the bounds (max 1.15, SPEC's SAFE margin). */
const variabilitySettings = (min: number) =>
  z.strictObject({ percentile: z.enum(PERCENTILES).default("p99"), headroom: factor(1), min: factor(min), max: factor(1.15) }).prefault({});

const recommendSection = z.strictObject({
  cpu: z
    .strictObject({
      /** Continuous workloads: the request starts from this percentile; the variability margin lifts it toward the p99. */
      percentile: z.enum(PERCENTILES).default("p90"),
      /** Jobs and CronJobs (SPEC §5): this percentile of the per-run peaks. */
      jobPercentile: z.enum(PERCENTILES).default("p95"),
      margin: z.enum(CPU_MARGIN_SOURCES).default("variability"),
      /**
       * SPEC §5 variability margin: clamp(percentile ÷ the sizing percentile × headroom, min, max),
       * and at least the rating's margin when CAUTION or RISKY. Steady services get a small margin,
       * spiky ones a large one.
       */
      variability: variabilitySettings(1),
    })
    .prefault({}),
  memory: z
    .strictObject({
      percentile: z.enum(PERCENTILES).default("max"),
      margin: z.enum(CPU_MARGIN_SOURCES).default("variability"),
      /**
       * SPEC §5 memory variability margin: clamp(max(percentile ÷ variability percentile, drift of the
       * daily peaks over the trend horizon) × headroom, min, max), and at least the rating's margin when
       * CAUTION or RISKY. A flat memory gets a small margin, a spiky or rising one a large one.
       */
      variability: variabilitySettings(1.05),
    })
    .prefault({}),
  margins: margins(1.15, 1.3, 1.5),
  jobMargins: margins(1.2, 1.5, 2.0),
  bounds: z
    .strictObject({
      cpu: z.strictObject({ min: quantity("10m"), max: quantity("64") }).prefault({}),
      memory: z.strictObject({ min: quantity("32Mi"), max: quantity("256Gi") }).prefault({}),
    })
    .prefault({}),
  limits: z.enum(LIMIT_MODES).default("keep"),
  minChangePercent: percent(10),
  /** Hysteresis floor: a change smaller than this (and than minChangePercent) is not proposed. */
  minChange: z.strictObject({ cpu: quantity("10m"), memory: quantity("16Mi") }).prefault({}),
  maxDecreasePercent: percent(50),
  /** VPA's OOM rule: memory = max(used + bump, used × factor). */
  oomBump: z.strictObject({ memory: quantity("100Mi"), factor: factor(1.2) }).prefault({}),
  /** Above this throttled ratio, with a CPU limit, CPU is never decreased. */
  throttlingHoldRatio: z.number().min(0).max(1).default(0.25),
  rounding: z
    .strictObject({
      cpu: z.strictObject({ belowOneCore: quantity("5m"), aboveOneCore: quantity("50m") }).prefault({}),
      memory: z.strictObject({ belowOneGi: quantity("1Mi"), aboveOneGi: quantity("16Mi") }).prefault({}),
    })
    .prefault({}),
  /**
   * SPEC §5 trends: a robust slope of the series (memory max, CPU p95). Growing memory is never
   * cut and requests cover the projected peak over `horizon` (0 turns projection off); growth
   * counts when it is at least `minGrowthPercent` of the level over the horizon. A step change
   * of at least `step.minPercent` with at least `step.minAfter` of data after it is sized from
   * the part after the step.
   */
  trend: z
    .strictObject({
      horizon: duration("7d"),
      minGrowthPercent: percent(10),
      step: z.strictObject({ minPercent: percent(20), minAfter: duration("3d") }).prefault({}),
    })
    .prefault({}),
  safety: z
    .strictObject({
      unsafe: z.strictObject({ oomKills: count(5), restarts: count(20) }).prefault({}),
      risky: z.strictObject({ oomKills: count(3), restartsAbove: count(5), peakToP95Above: z.number().positive().default(3) }).prefault({}),
      caution: z
        .strictObject({ oomKills: count(1), restarts: count(1), throttledRatioAbove: z.number().min(0).max(1).default(0.1) })
        .prefault({}),
    })
    .prefault({}),
});

const applySection = z.strictObject({
  minConfidence: z.enum(CONFIDENCE_LEVELS).default("MEDIUM"),
  jobs: z.strictObject({ enabled: z.boolean().default(true), minRuns: count(5) }).prefault({}),
  /** SPEC §4: an HPA on CPU/memory holds the CPU change unless the policy allows it. */
  allowWithHpa: z.boolean().default(false),
  /**
   * SPEC §4: while a container's OOM kills are unknown (kube-state-metrics' restart or termination
   * metrics are missing), its memory decreases are held; `allow` proposes them anyway.
   */
  unknownOomKills: z.enum(["hold", "allow"]).default("hold"),
});

/** SPEC §11: prices that turn each change into a monthly figure (defaults: OpenCost's list prices). */
const costSection = z.strictObject({
  currency: z.string().min(1).default("USD"),
  cpuCoreHour: z.number().nonnegative().default(0.031611),
  memoryGiBHour: z.number().nonnegative().default(0.004237),
});

const rateLimitsSection = z.strictObject({ maxOpenPullRequests: count(10), perWorkloadWindow: duration("7d") });

const policyV1alpha2Shape = {
  apiVersion: z.literal(CURRENT_API_VERSION),
  kind: z.literal(POLICY_KIND),
  metadata: z.looseObject({ migratedFrom: z.string().optional() }).prefault({}),
  mode: z.enum(["propose", "recommend", "disabled"]).default("propose"),
  clusters: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        context: z.string().optional(),
        prometheus: PrometheusConnectionSchema.optional(),
      }),
    )
    .default([]),
  targets: z
    .array(
      z.strictObject({
        paths: z.array(z.string().min(1)).min(1),
        cluster: z.string().min(1).default("default"),
        namespace: z.string().optional(),
        helm: z.array(helmValuesTarget).default([]),
      }),
    )
    .default([]),
  selector: z
    .strictObject({
      kinds: z.array(z.enum(WORKLOAD_KINDS)).default([...WORKLOAD_KINDS]),
      namespaces: z
        .strictObject({ allow: z.array(z.string()).default([]), deny: z.array(z.string()).default(["kube-system"]) })
        .prefault({}),
      workloads: z.strictObject({ matchLabels: z.record(z.string(), z.string()).default({}) }).prefault({}),
      containers: z.strictObject({ exclude: z.array(z.string()).default(["istio-proxy", "linkerd-proxy"]) }).prefault({}),
    })
    .prefault({}),
  observe: z
    .strictObject({
      source: z.enum(["prometheus", "metrics-server", "snapshot"]).default("prometheus"),
      window: duration("7d"),
      sampling: z.strictObject({ interval: duration("15s"), duration: duration("15m") }).prefault({}),
    })
    .prefault({}),
  recommend: recommendSection.prefault({}),
  apply: applySection.prefault({}),
  pullRequests: z
    .strictObject({
      grouping: z.enum(["workload", "namespace"]).default("workload"),
      labels: z.array(z.string()).default(["rightsize"]),
      draft: z.boolean().default(false),
      reviewers: z.array(z.string()).default([]),
      commitDecisionRecords: z.boolean().default(true),
      titlePrefix: z.string().default("rightsize"),
      dashboard: z.boolean().default(true),
      verifyAfter: duration("3d"),
    })
    .prefault({}),
  rateLimits: rateLimitsSection.prefault({}),
  cost: costSection.prefault({}),
  schedule: z.strictObject({ cron: cronExpression.default("0 6 * * 1") }).prefault({}),
  /**
   * SPEC §10 "Organisations": read only from the organisation's `.github` repository's policy,
   * for every repository of the organisation at once; a repository's own file cannot set them.
   */
  organization: z
    .strictObject({
      /** Pauses every proposal of every repository: true, or the reason commands quote. */
      pause: z.union([z.boolean(), z.string().min(1, "expected true, false or the reason for the pause")]).default(false),
      /** A repository without its own policy file gets one "Configure rightsize" pull request first; false skips it (the defaults apply at once). */
      onboarding: z.boolean().default(true),
    })
    .prefault({}),
};

export const PolicyV1alpha2Schema = z.strictObject(policyV1alpha2Shape);

export const LEGACY_API_VERSION = "rightsize.dev/v1alpha1";

/**
 * v1alpha1 (SPEC §7): no metadata, no apply.minConfidence or apply.jobs, `rateLimits.window`
 * for `perWorkloadWindow`, one `recommend.safetyFactor` for the per-rating margins.
 */
export const PolicyV1alpha1Schema = PolicyV1alpha2Schema.omit({ metadata: true, organization: true }).extend({
  apiVersion: z.literal(LEGACY_API_VERSION),
  recommend: recommendSection.omit({ margins: true }).extend({ safetyFactor: factor(1.15) }).prefault({}),
  apply: applySection.omit({ minConfidence: true, jobs: true }).prefault({}),
  rateLimits: z.strictObject({ maxOpenPullRequests: count(10), window: duration("7d") }).prefault({}),
});

/** A loaded policy: always the current version's shape with every default applied. */
export type Policy = z.output<typeof PolicyV1alpha2Schema>;
export type RecommendPolicy = Policy["recommend"];
export type ApplyPolicy = Policy["apply"];
export type CostPolicy = Policy["cost"];

/** The defaults, as a missing policy file means (SPEC §7). */
export const DEFAULT_POLICY: Policy = PolicyV1alpha2Schema.parse({ apiVersion: CURRENT_API_VERSION, kind: POLICY_KIND });
