import { isSameQuantity, parseQuantity, unknownEvidenceOf, type WorkloadObservation } from "../../domain/index.js";
import type { RecommendPolicy } from "../../policy/index.js";
import type { DecisionRecord } from "../../recommend/index.js";

/**
 * SPEC §8, after merge: did the new requests fit? The kubenow `track` bands: usage below 80% of
 * the new request fits, 80–95% is tight, above 95% (or any OOM kill) is wrong. CPU is judged by
 * the percentile its request is sized from (recommend.cpu.percentile, p90 by default: bursts above
 * a CPU request only slow a container down); memory by its peak (a container above its memory
 * request is the first to be evicted).
 */
export type Verdict = "fits" | "tight" | "wrong";

const VERDICT_BANDS = { tight: 0.8, wrong: 0.95 } as const;

export interface ResourceCheck {
  resource: "cpu" | "memory";
  /** The request the merge set. */
  request: string;
  p95: number;
  peak: number;
  /** What was judged: the CPU sizing percentile (p90 by default), or the peak for memory. */
  judged: string;
  /** The usage judged over the request. */
  ratio: number;
  verdict: Verdict;
}

export interface ContainerCheck {
  container: string;
  resources: ResourceCheck[];
  oomKills: number;
  restarts: number;
  throttledRatio: number;
  /** Evidence the observation after merge could not measure, with the missing metric (SPEC §4). */
  unknown?: Array<{ evidence: string; metric: string }>;
  verdict: Verdict;
}

export interface WorkloadCheck {
  key: string;
  window: { from: string; to: string };
  containers: ContainerCheck[];
  verdict: Verdict;
}

/** What a merged proposal set, per container (from its state marker). */
export type MergedRequests = Record<string, { cpu?: string; memory?: string }>;

export function verdictOf(ratio: number, oomKills = 0): Verdict {
  if (oomKills > 0 || ratio > VERDICT_BANDS.wrong) return "wrong";
  return ratio >= VERDICT_BANDS.tight ? "tight" : "fits";
}

const ORDER: Verdict[] = ["fits", "tight", "wrong"];
/** The worst of the verdicts (fits < tight < wrong); fits for none. */
export const worstVerdict = (verdicts: readonly Verdict[]): Verdict => verdicts.reduce((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), "fits");

/** True once every merged request runs in the cluster (the rollout happened; time counts from then). */
export function isRolledOut(merged: MergedRequests, observation: WorkloadObservation): boolean {
  return Object.entries(merged).every(([name, requests]) => {
    const live = observation.containers.find((container) => container.name === name)?.current?.requests;
    return (["cpu", "memory"] as const).every((resource) => {
      const wanted = requests[resource];
      const running = live?.[resource];
      return wanted === undefined || (running !== undefined && isSameQuantity(wanted, running));
    });
  });
}

/** The verdict per container and resource of a merged proposal, from an observation after its rollout. */
export function verifyWorkload(key: string, merged: MergedRequests, observation: WorkloadObservation, cpuPercentile: RecommendPolicy["cpu"]["percentile"]): WorkloadCheck {
  const containers = Object.entries(merged).map(([name, requests]): ContainerCheck => {
    const observed = observation.containers.find((container) => container.name === name);
    const oomKills = observed?.oomKills.length ?? 0;
    const resources = (["cpu", "memory"] as const).flatMap((resource): ResourceCheck[] => {
      const request = requests[resource];
      const usage = observed?.[resource];
      if (request === undefined || !usage) return [];
      const requested = Number(parseQuantity(request).nanos) / 1e9;
      const judged = resource === "cpu" ? usage[cpuPercentile] : usage.max;
      const ratio = requested > 0 ? judged / requested : Infinity;
      const label = resource === "cpu" ? cpuPercentile : "peak";
      return [{ resource, request, p95: usage.p95, peak: usage.max, judged: label, ratio, verdict: verdictOf(ratio, resource === "memory" ? oomKills : 0) }];
    });
    const verdict = worstVerdict([...resources.map((check) => check.verdict), oomKills > 0 ? "wrong" : "fits"]);
    const unknown = observed ? unknownEvidenceOf(observed).filter((entry) => entry.evidence === "oomKills" || entry.evidence === "restarts" || entry.evidence === "throttling") : [];
    return { container: name, resources, oomKills, restarts: observed?.restarts ?? 0, throttledRatio: observed?.throttledRatio ?? 0, ...(unknown.length > 0 ? { unknown } : {}), verdict };
  });
  return { key, window: observation.window, containers, verdict: worstVerdict(containers.map((container) => container.verdict)) };
}

/** The decision records a proposal's body embeds (undefined when the body was trimmed or damaged). */
export function decisionRecordsInBody(body: string, parse: (value: unknown) => DecisionRecord): DecisionRecord[] | undefined {
  const match = /<summary>Decision record \(decision\.json\)<\/summary>\s*```json\n([\s\S]*?)\n```/.exec(body);
  if (!match) return undefined;
  try {
    const parsed: unknown = JSON.parse(match[1]!);
    return (Array.isArray(parsed) ? parsed : [parsed]).map(parse);
  } catch {
    return undefined;
  }
}
