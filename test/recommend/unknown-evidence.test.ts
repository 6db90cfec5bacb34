import { describe, expect, it } from "vitest";
import { container, GI, MI, only, policy, recommend, usage, workload } from "./builders.js";

/**
 * SPEC §4 "missing evidence is never health", in the engine: unknown evidence lowers confidence,
 * keeps a resource from SAFE and holds memory decreases while OOM kills are unknown.
 */
const RESTARTS = "kube_pod_container_status_restarts_total";

function observed(unknown: Record<string, string>, spec: Parameters<typeof container>[0] = {}) {
  return workload({ containers: [container({ requests: { cpu: "500m", memory: "1Gi" }, memory: usage({ p95: 240 * MI, max: 250 * MI }), ...spec, unknown })] });
}

describe("unknown evidence in a recommendation", () => {
  it("is SAFE and HIGH when everything was measured (the baseline)", () => {
    const server = only(recommend(observed({})));
    expect([server.safety, server.confidence.score, server.confidence.level]).toEqual(["SAFE", 100, "HIGH"]);
    expect(server.evidence).toEqual({ oomKills: [], restarts: 0, throttledRatio: 0 });
  });

  it("takes 10 points per unknown piece and rates CAUTION: restarts and OOM kills unknown (100 − 2 × 10 = 80, HIGH)", () => {
    const server = only(recommend(observed({ restarts: RESTARTS, oomKills: RESTARTS })));
    expect(server.confidence.score).toBe(80);
    expect(server.confidence.level).toBe("HIGH");
    expect(server.confidence.factors.filter((factor) => factor.name === "unknown evidence")).toEqual([
      { name: "unknown evidence", observed: `OOM kills (no ${RESTARTS})`, points: 10, effect: "penalty" },
      { name: "unknown evidence", observed: `restarts (no ${RESTARTS})`, points: 10, effect: "penalty" },
    ]);
    expect(server.safetyByResource).toEqual({ cpu: "CAUTION", memory: "CAUTION" });
    expect(server.evidence).toEqual({
      oomKills: null,
      restarts: null,
      throttledRatio: 0,
      unknown: [
        { evidence: "oomKills", metric: RESTARTS },
        { evidence: "restarts", metric: RESTARTS },
      ],
    });
  });

  it("holds the memory decrease while OOM kills are unknown, and proposes it with apply.unknownOomKills: allow", () => {
    // Memory max 250Mi × 1.3 (CAUTION) = 325Mi, a cut from 1Gi capped at 50% → 512Mi; held at 1Gi.
    const held = recommend(observed({ restarts: RESTARTS, oomKills: RESTARTS }));
    expect(only(held).recommended.requests.memory).toBe("1Gi");
    expect(only(held).reasons.at(-1)).toBe(
      `memory request held at 1Gi instead of 512Mi (max 250Mi × 1.3 = 325Mi; lowered only to 512Mi in this proposal (maxDecreasePercent 50%; the target 325Mi is reached in later steps)): decreases are held (OOM kills are unknown (no ${RESTARTS}); install or fix kube-state-metrics, or set apply.unknownOomKills: allow)`,
    );
    const allowed = recommend(observed({ restarts: RESTARTS, oomKills: RESTARTS }), { policy: policy({ apply: { unknownOomKills: "allow" } }) });
    expect(only(allowed).recommended.requests.memory).toBe("512Mi");
  });

  it("still raises memory when the data call for it, OOM kills unknown or not", () => {
    // Max 2Gi × 1.3 = 2.6Gi, rounded up to 16Mi: 2662.4Mi → 2672Mi.
    const raised = only(recommend(observed({ oomKills: RESTARTS, restarts: RESTARTS }, { memory: usage({ p95: 1.9 * GI, max: 2 * GI }) })));
    expect(raised.recommended.requests.memory).toBe("2672Mi");
    expect(raised.action).toBe("change");
  });

  it("holds the workload when the held memory decrease was its only change", () => {
    const record = recommend(observed({ restarts: RESTARTS, oomKills: RESTARTS }, { requests: { cpu: "190m", memory: "1Gi" }, cpu: usage({ p95: 0.14, max: 0.15 }) }));
    expect(record.decision.action).toBe("hold");
    expect(record.decision.reasons).toEqual([`memory decrease held: OOM kills are unknown (no ${RESTARTS}); install or fix kube-state-metrics, or set apply.unknownOomKills: allow`]);
  });

  it("holds only memory's decrease for an OOM kill from before the data's window (the step's hold), and lets CPU go", () => {
    const hold = "OOM-killed 2026-11-19 12:00 UTC, before #12 rolled out; memory is not lowered while that kill is inside the policy's window (7 days)";
    const server = only(recommend(observed({}), { holdMemoryDecreases: hold }));
    // SAFE memory: max 250Mi × 1.15 = 287.5Mi → 288Mi (whole Mi), capped at 50% of 1Gi = 512Mi; held at 1Gi. CPU goes as without the hold.
    const free = only(recommend(observed({})));
    expect(server.recommended.requests.cpu).toBe(free.recommended.requests.cpu);
    expect(server.recommended.requests.cpu).not.toBe("500m");
    expect(server.recommended.requests.memory).toBe("1Gi");
    expect(free.recommended.requests.memory).toBe("512Mi");
    expect(server.reasons.at(-1)).toBe(`memory request held at 1Gi instead of 512Mi (max 250Mi × 1.15 = 287.5Mi; rounded up to 288Mi (a multiple of 1Mi); lowered only to 512Mi in this proposal (maxDecreasePercent 50%; the target 288Mi is reached in later steps)): decreases are held (${hold})`);
  });
});
