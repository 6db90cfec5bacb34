import { describe, expect, it } from "vitest";
import { renderDoctorReply } from "../../src/app/render/doctor.js";
import type { DoctorReport } from "../../src/pipeline/index.js";

/** `/rightsize doctor` in an issue (SPEC §4, §9): the report as a reply, endpoints redacted, store text inert. */
const report: DoctorReport = {
  at: "2025-03-08T00:00:00Z",
  canPropose: false,
  clusters: [
    {
      cluster: "prod",
      source: "prometheus",
      window: { from: "2025-03-01T00:00:00Z", to: "2025-03-08T00:00:00Z" },
      canPropose: true,
      metrics: [
        { metric: "container_cpu_usage_seconds_total", exporter: "cAdvisor", present: true, series: 4, scrapeIntervalSeconds: 30, historySeconds: 604_800, essential: true },
        {
          metric: "kube_pod_container_status_restarts_total",
          exporter: "kube-state-metrics",
          present: false,
          essential: false,
          unknown: ["restarts", "OOM kills"],
          cost: "restarts and OOM kills are unknown",
          fix: "install kube-state-metrics",
        },
      ],
    },
    {
      cluster: "staging",
      source: "prometheus",
      window: { from: "2025-03-01T00:00:00Z", to: "2025-03-08T00:00:00Z" },
      canPropose: false,
      error: "Prometheus at http://prometheus.staging.internal:9090 failed: HTTP 500 (internal: <!-- @admin -->)",
      metrics: [],
    },
  ],
};

describe("the /rightsize doctor reply", () => {
  it("renders each cluster's findings with the store's address replaced and its text made inert", () => {
    const redact = (text: string) => text.split("http://prometheus.staging.internal:9090").join('the Prometheus of cluster "staging"');
    expect(renderDoctorReply(report, redact)).toBe(
      [
        "rightsize checked the metrics of this repository's clusters: something essential is missing.",
        "",
        "### rightsize doctor",
        "",
        "**Proposing cannot work** until the essential metrics below are there.",
        "",
        "#### Cluster `prod`",
        "",
        "1 of 2 metrics missing; proposing works, with the evidence below unknown",
        "",
        "| Metric | Exporter | Found | Unknown without it |",
        "| --- | --- | --- | --- |",
        "| `container_cpu_usage_seconds_total` | cAdvisor | 4 series, every 30s, 7d of history |  |",
        "| `kube_pod_container_status_restarts_total` | kube-state-metrics | **missing** | restarts, OOM kills |",
        "",
        "What each missing metric costs, and the fix:",
        "",
        "- `kube_pod_container_status_restarts_total`: restarts and OOM kills are unknown. **Fix:** install kube-state-metrics.",
        "",
        "#### Cluster `staging`",
        "",
        'cannot be checked: Prometheus at the Prometheus of cluster "staging" failed: HTTP 500 (internal: &lt;\\!-- @&#8203;admin --&gt;)',
        "",
        "<!-- rightsize:doctor -->",
      ].join("\n"),
    );
  });
});
