import { describe, expect, it } from "vitest";
import { renderExplanation } from "../../src/app/render/explain.js";
import { container, MI, recommend, usage, workload } from "../recommend/builders.js";

const RESTARTS = "kube_pod_container_status_restarts_total";

describe("/rightsize explain with unknown evidence (SPEC §4)", () => {
  it("is shown as unknown, with the metric, by /rightsize explain", () => {
    const text = renderExplanation([recommend(observedWith({ restarts: RESTARTS, oomKills: RESTARTS, throttling: "container_cpu_cfs_periods_total" }, { limits: { cpu: "1" } }))]);
    expect(text).toContain(`- Evidence: OOM kills unknown (no \`${RESTARTS}\`), restarts unknown (no \`${RESTARTS}\`), CPU throttling unknown (no \`container_cpu_cfs_periods_total\`).\n`);
  });
});

function observedWith(unknown: Record<string, string>, spec: Parameters<typeof container>[0] = {}) {
  return workload({ containers: [container({ requests: { cpu: "500m", memory: "1Gi" }, memory: usage({ p95: 240 * MI, max: 250 * MI }), ...spec, unknown })] });
}
