import { compareQuantities, maxQuantity, roundUpToStep, type Quantity, type ResourceName } from "../domain/index.js";
import type { LIMIT_MODES, RecommendPolicy } from "../policy/index.js";
import { describeQuantity } from "./describe.js";
import { roundingStep } from "./sizing.js";

export type LimitMode = (typeof LIMIT_MODES)[number];

export interface LimitInput {
  resource: ResourceName;
  /** The effective current request (Kubernetes uses the limit when no request is set). */
  currentRequest?: Quantity;
  currentLimit?: Quantity;
  /** The request the container will have (recommended, or kept). */
  newRequest?: Quantity;
  /** The pod's QoS class is Guaranteed (every container's requests equal its limits). */
  guaranteed?: boolean;
  /** After OOM kills: the OOM rule's value, which the memory limit must reach (SPEC §5). */
  oomBump?: Quantity;
}

export type LimitOutcome =
  | { kind: "unchanged" }
  | { kind: "set"; value: Quantity; why: string }
  | { kind: "removed"; why: string };

/**
 * SPEC §5 limit modes. `keep` never touches a limit except to raise it only as far as the new
 * values need: to the new request when the request would exceed it (Kubernetes rejects a request
 * above its limit), and after OOM kills to the OOM rule's value (the limit is what killed the
 * container) — never by a ratio that multiplies into gigabytes; and to move it with the request
 * in a Guaranteed pod, which keeps the pod's QoS class. `ratio` keeps limit/request;
 * `memory-equals-request` sets the memory limit to the memory request; `remove-cpu` removes the
 * CPU limit. The other resource in the last two modes follows `keep`.
 */
export function recommendLimit(mode: LimitMode, input: LimitInput, policy: RecommendPolicy): LimitOutcome {
  const { resource, currentRequest, currentLimit, newRequest } = input;
  const show = (value: Quantity) => describeQuantity(value, resource);
  if (mode === "remove-cpu" && resource === "cpu") {
    return currentLimit ? { kind: "removed", why: "the policy removes CPU limits (limits: remove-cpu)" } : { kind: "unchanged" };
  }
  if (newRequest === undefined) return { kind: "unchanged" };
  if (mode === "memory-equals-request" && resource === "memory") {
    if (currentLimit && compareQuantities(currentLimit, newRequest) === 0) return { kind: "unchanged" };
    return { kind: "set", value: newRequest, why: "the policy sets the memory limit to the memory request (limits: memory-equals-request)" };
  }
  if (!currentLimit) return { kind: "unchanged" };
  const requestChanged = currentRequest === undefined || compareQuantities(currentRequest, newRequest) !== 0;
  if (mode === "keep" && input.guaranteed && requestChanged) {
    // Lowering only the request would make the pod Burstable, evicted before Guaranteed pods under node pressure.
    if (compareQuantities(currentLimit, newRequest) === 0) return { kind: "unchanged" };
    return { kind: "set", value: newRequest, why: "moves with the request to keep the pod's QoS class Guaranteed (every container's requests equal its limits; limits: keep)" };
  }
  if (mode === "ratio" && requestChanged && currentRequest !== undefined && currentRequest.nanos > 0n) {
    const scaled = keepRatio(currentLimit, currentRequest, newRequest, resource, policy);
    if (compareQuantities(scaled, currentLimit) === 0) return { kind: "unchanged" };
    return { kind: "set", value: scaled, why: `keeps the current limit/request ratio ${show(currentLimit)}/${show(currentRequest)} (limits: ratio)` };
  }
  const bump = input.oomBump && resource === "memory" ? roundUpToStep(input.oomBump, roundingStep(input.oomBump, resource, policy)) : undefined;
  if (bump && compareQuantities(bump, currentLimit) > 0 && compareQuantities(bump, newRequest) >= 0) {
    return { kind: "set", value: bump, why: `raised to the OOM rule's ${show(bump)}: the container was OOM-killed at its limit ${show(currentLimit)}` };
  }
  if (compareQuantities(newRequest, currentLimit) > 0) {
    return { kind: "set", value: newRequest, why: `raised to the new request, which would exceed the limit ${show(currentLimit)}` };
  }
  return { kind: "unchanged" };
}

/** limit × newRequest / currentRequest, rounded up to a tidy step, and never below the new request. */
function keepRatio(limit: Quantity, request: Quantity, newRequest: Quantity, resource: ResourceName, policy: RecommendPolicy): Quantity {
  const product = limit.nanos * newRequest.nanos;
  const exact = { nanos: product / request.nanos + (product % request.nanos === 0n ? 0n : 1n) };
  return maxQuantity(roundUpToStep(exact, roundingStep(exact, resource, policy)), newRequest);
}
