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
}

export type LimitOutcome =
  | { kind: "unchanged" }
  | { kind: "set"; value: Quantity; why: string }
  | { kind: "removed"; why: string };

/**
 * SPEC §5 limit modes. `keep` never touches a limit except to raise it by the request's factor
 * when the new request would exceed it (Kubernetes rejects a request above its limit), and to
 * move it with the request in a Guaranteed pod, which keeps the pod's QoS class; `ratio`
 * keeps limit/request; `memory-equals-request` sets the memory limit to the memory request;
 * `remove-cpu` removes the CPU limit. The other resource in the last two modes follows `keep`.
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
  if (compareQuantities(newRequest, currentLimit) > 0) {
    const raised =
      currentRequest !== undefined && currentRequest.nanos > 0n ? keepRatio(currentLimit, currentRequest, newRequest, resource, policy) : newRequest;
    return {
      kind: "set",
      value: raised,
      why: `raised by the request's factor because the new request ${show(newRequest)} would exceed the limit ${show(currentLimit)}`,
    };
  }
  return { kind: "unchanged" };
}

/** limit × newRequest / currentRequest, rounded up to a tidy step, and never below the new request. */
function keepRatio(limit: Quantity, request: Quantity, newRequest: Quantity, resource: ResourceName, policy: RecommendPolicy): Quantity {
  const product = limit.nanos * newRequest.nanos;
  const exact = { nanos: product / request.nanos + (product % request.nanos === 0n ? 0n : 1n) };
  return maxQuantity(roundUpToStep(exact, roundingStep(exact, resource, policy)), newRequest);
}
