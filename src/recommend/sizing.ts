import {
  compareQuantities,
  maxQuantity,
  minQuantity,
  roundUpToStep,
  scaleQuantity,
  type Quantity,
  type ResourceName,
} from "../domain/index.js";
import type { RecommendPolicy } from "../policy/index.js";
import { describeQuantity } from "./describe.js";

const ONE_CORE = 1_000_000_000n;
const ONE_GIB = 1024n ** 3n * 1_000_000_000n;

export interface SizingInput {
  resource: ResourceName;
  percentile: string;
  /** The policy percentile's value (p95 CPU, max memory by default). */
  statistic: Quantity;
  margin: number;
  /** Memory is never recommended below the observed max (SPEC §5). */
  floor?: Raise;
  /** Values the recommendation must reach: the OOM rule's, a growing memory's projected peak. */
  raiseTo?: readonly Raise[];
  /** Why the request must not go down (OOM kills, throttling); undefined when it may. */
  neverDecrease?: string;
  /** The effective current request; undefined when none is set. */
  current?: Quantity;
}

/** A value the request must reach, and why (in words, written only when it moves the request). */
export interface Raise {
  value: Quantity;
  why: () => string;
}

export interface Sizing {
  target: Quantity;
  computed: Quantity;
  /** Sentences for each rule that moved the value after percentile × margin. */
  steps: string[];
}

/**
 * SPEC §5, one request: percentile × margin, the floors (observed max memory, OOM rule),
 * rounding up to a tidy step, never-decrease holds, the per-proposal decrease cap, and last
 * the policy bounds, so the result always lies within them (OptiPod Property 4).
 */
export function sizeRequest(input: SizingInput, policy: RecommendPolicy): Sizing {
  const { resource } = input;
  const show = (value: Quantity) => describeQuantity(value, resource);
  const steps: string[] = [];
  const target = scaleQuantity(input.statistic, input.margin);
  let value = target;

  const raise = (to: Raise | undefined) => {
    if (to && compareQuantities(to.value, value) > 0) {
      value = to.value;
      steps.push(`raised to ${show(value)}: ${to.why()}`);
    }
  };
  raise(input.floor);
  if (input.raiseTo) for (const to of input.raiseTo) raise(to);

  const step = roundingStep(value, resource, policy);
  const rounded = roundUpToStep(value, step);
  if (compareQuantities(rounded, value) !== 0) steps.push(`rounded up to ${show(rounded)} (a multiple of ${describeStep(step, resource)})`);
  value = rounded;

  const { current } = input;
  if (current && input.neverDecrease && compareQuantities(value, current) < 0) {
    value = current;
    steps.push(`kept at the current ${show(current)}: ${input.neverDecrease}`);
  }

  // The cap lies at or below the current value, so only a decrease can reach it.
  if (current && policy.maxDecreasePercent < 100 && compareQuantities(value, current) < 0) {
    const lowest = keepPercent(current, 100 - policy.maxDecreasePercent);
    const cap = minQuantity(roundUpToStep(lowest, roundingStep(lowest, resource, policy)), current);
    if (compareQuantities(value, cap) < 0) {
      steps.push(
        `lowered only to ${show(cap)} in this proposal (maxDecreasePercent ${policy.maxDecreasePercent}%; the target ${show(value)} is reached in later steps)`,
      );
      value = cap;
    }
  }

  const bounds = policy.bounds[resource];
  const setting = SETTINGS[resource];
  if (compareQuantities(value, bounds.min) < 0) {
    value = bounds.min;
    steps.push(`raised to ${setting}.min ${show(bounds.min)}`);
  } else if (compareQuantities(value, bounds.max) > 0) {
    value = bounds.max;
    const belowFloor = input.floor && compareQuantities(input.floor.value, value) > 0;
    steps.push(
      `clamped to ${setting}.max ${show(bounds.max)}` +
        (belowFloor ? ` (below the observed max ${show(input.floor!.value)}, so the container may be OOM-killed; raise ${setting}.max if it needs more)` : ""),
    );
  }
  return { target, computed: value, steps };
}

// The policy's few rounding steps, each described once.
const stepTexts = { cpu: new WeakMap<Quantity, string>(), memory: new WeakMap<Quantity, string>() };

function describeStep(step: Quantity, resource: ResourceName): string {
  let text = stepTexts[resource].get(step);
  if (text === undefined) {
    text = describeQuantity(step, resource);
    stepTexts[resource].set(step, text);
  }
  return text;
}

const SETTINGS = { cpu: "recommend.bounds.cpu", memory: "recommend.bounds.memory" } as const;

/** value × percent / 100, rounded up; exact integer arithmetic for whole percentages (the usual case). */
function keepPercent(value: Quantity, percent: number): Quantity {
  if (!Number.isInteger(percent)) return scaleQuantity(value, percent / 100);
  const product = value.nanos * BigInt(percent);
  return { nanos: product / 100n + (product % 100n === 0n ? 0n : 1n) };
}

/** SPEC §5 tidy values: CPU to 5m below one core and 50m from one core; memory to 1Mi below 1Gi and 16Mi from 1Gi. */
export function roundingStep(value: Quantity, resource: ResourceName, policy: RecommendPolicy): Quantity {
  if (resource === "cpu") return value.nanos < ONE_CORE ? policy.rounding.cpu.belowOneCore : policy.rounding.cpu.aboveOneCore;
  return value.nanos < ONE_GIB ? policy.rounding.memory.belowOneGi : policy.rounding.memory.aboveOneGi;
}

/** VPA's OOM rule (SPEC §5): max(used + bump, used × factor). */
export function oomTarget(used: Quantity, policy: RecommendPolicy): Quantity {
  return maxQuantity({ nanos: used.nanos + policy.oomBump.memory.nanos }, scaleQuantity(used, policy.oomBump.factor));
}
