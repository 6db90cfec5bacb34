import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SNAPSHOT_SCHEMA_VERSION, type ObservationSnapshot } from "../../src/domain/index.js";
import { planRepository, renderContainerTable, renderPlanMarkdown } from "../../src/pipeline/index.js";
import { renderPullRequest } from "../../src/pipeline/body/pull-request.js";
import { loadPolicy } from "../../src/policy/index.js";
import { DecisionRecordSchema } from "../../src/recommend/index.js";
import { TOOL } from "../../src/version.js";
import { AT, container, MI, policy, recommend, usage, workload } from "../recommend/builders.js";

/**
 * What a reviewer reads must be true: the verdict, the charts, the risks and the table say what
 * the change does, never what it does not (each test failed on the renderers before).
 */
const FIXTURES = path.join(import.meta.dirname, "../fixtures");
const records = DecisionRecordSchema.array().parse(JSON.parse(readFileSync(path.join(FIXTURES, "decisions/example-records.json"), "utf8")));
const defaults = policy();
const bodyOf = (input: Parameters<typeof renderPullRequest>[0]) => renderPullRequest(input).body;
const section = (body: string, heading: string) => body.split(`#### ${heading}`)[1]!.split("\n#### ")[0]!;

describe("a workload whose containers set no requests", () => {
  const observation = workload({ containers: [container({ requests: {} })] });
  const record = recommend(observation);
  const body = bodyOf({ records: [record], branch: "b", policy: defaults, observations: [observation] });

  it("says what the change adds per pod, counted from zero, in the verdict", () => {
    // p90 180m × 1.15 = 207m → 210m; max 250Mi × 1.15 = 287.5Mi → 288Mi. Cost: 0.21 core × 0.031611 × 730 h × 3 pods = 14.54,
    // 288Mi = 0.28125GiB × 0.004237 × 730 × 3 = 2.61: 17.15 USD more a month. It said "limits only".
    expect(body.split("\n")[0]).toBe(
      "**rightsize proposes new requests for Deployment `shop/cart` (cluster `prod`)**: adds 210m CPU and 288Mi memory per pod (counted from zero where no request was set), costing 17.15 USD more a month (3 pods); safety SAFE, confidence HIGH.",
    );
  });

  it("draws each chart with the recommended request alone, and the legend says why", () => {
    // It drew no chart at all: the chart code needed a current request.
    expect(section(body, "Usage")).toBe(
      [
        "",
        "",
        "Distribution: the bars are p50, p90, p95, p99 and max of usage; the lines are the current and the recommended request.",
        "Where a container had no request and no limit, there is no current line: its one flat line is the recommended request.",
        "",
        "```mermaid",
        "xychart-beta",
        '  title "cart/server cpu usage (millicores)"',
        '  x-axis ["p50", "p90", "p95", "p99", "max"]',
        '  y-axis "millicores" 0 --> 275',
        "  bar [180, 180, 180, 250, 250]",
        "  line [210, 210, 210, 210, 210]",
        "```",
        "",
        "```mermaid",
        "xychart-beta",
        '  title "cart/server memory usage (MiB)"',
        '  x-axis ["p50", "p90", "p95", "p99", "max"]',
        // 250Mi × 1.1 = 275 → 317 for the 288Mi line: 288 × 1.1 = 316.8 → 317.
        '  y-axis "MiB" 0 --> 317',
        "  bar [240, 240, 240, 250, 250]",
        "  line [288, 288, 288, 288, 288]",
        "```",
        "",
      ].join("\n"),
    );
  });

  it("warns that the scheduler reserves the new requests", () => {
    expect(section(body, "Risks and rollback")).toContain(
      "- `server` gets a CPU and a memory request where none was set: the scheduler reserves it from now on, so pods need that room on a node; check the namespace quota and node capacity.",
    );
  });

  it("draws a container with only limits against its limits, which Kubernetes uses as its requests", () => {
    const limited = workload({ containers: [container({ requests: {}, limits: { cpu: "500m", memory: "512Mi" } })] });
    const text = bodyOf({ records: [recommend(limited)], branch: "b", policy: defaults, observations: [limited] });
    expect(text).toContain("  bar [180, 180, 180, 250, 250]\n  line [500, 500, 500, 500, 500]\n  line [250, 250, 250, 250, 250]\n");
    // From the limits 500m and 512Mi: 250m (the 50% cap) and 288Mi.
    expect(text.split("\n")[0]).toContain(": frees 250m CPU and 224Mi memory per pod, saving ");
  });
});

describe("a regular init container (SPEC §3: it runs before the pod's containers, a sidecar alongside them)", () => {
  const MANIFEST = [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata: {name: worker, namespace: shop}",
    "spec:",
    "  template:",
    "    spec:",
    "      initContainers:",
    "      - name: migrate",
    "        image: worker:5",
    "        resources: {requests: {cpu: 500m, memory: 512Mi}}",
    "      - name: mesh",
    "        image: mesh:2",
    "        restartPolicy: Always",
    "        resources: {requests: {cpu: 500m, memory: 512Mi}}",
    "      containers:",
    "      - name: worker",
    "        image: worker:5",
    "        resources: {requests: {cpu: 500m, memory: 512Mi}}",
    "",
  ].join("\n");
  const observation = workload({ name: "worker", containers: ["migrate", "mesh", "worker"].map((name) => container({ name })) });
  const snapshot: ObservationSnapshot = { schemaVersion: SNAPSHOT_SCHEMA_VERSION, kind: "ObservationSnapshot", createdAt: AT, queries: {}, workloads: [observation] };
  const loaded = loadPolicy({ path: ".github/rightsize.yml", text: "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\ntargets:\n  - paths: ['apps/**']\n    cluster: prod\n" });
  const plan = planRepository({ tool: TOOL, files: [{ path: "apps/worker.yaml", text: MANIFEST }], loaded, snapshot, at: AT });
  const record = plan.workloads[0]!.record;

  it("costs nothing a month; a restartable sidecar costs what a container does", () => {
    // Each container: cpu 500m → 250m (p90 180m × 1.15 → 210m, capped at −50%), memory 512Mi → 288Mi.
    // −0.25 core × 0.031611 × 730 h × 3 pods = −17.31; −224Mi = −0.21875GiB × 0.004237 × 730 × 3 = −2.03: −19.34 USD each.
    expect(record.containers.map((entry) => [entry.name, entry.action, entry.cost?.total])).toEqual([
      ["migrate", "change", undefined],
      ["mesh", "change", -19.34],
      ["worker", "change", -19.34],
    ]);
    // mesh and worker: cpu 2 × −17.31 = −34.62, memory 2 × −2.03 = −4.06. It was −58.02, migrate's −19.34 included.
    expect(record.cost?.monthly).toEqual({ cpu: -34.62, memory: -4.06, total: -38.68 });
  });

  it("keeps the headline's per-pod change and monthly cost over the same containers, and says what the init container's change means", () => {
    const body = bodyOf({ records: [record], branch: "b", policy: loaded.policy, observations: [observation] });
    expect(body.split("\n")[0]).toBe(
      "**rightsize proposes new requests for Deployment `shop/worker` (cluster `prod`)**: frees 500m CPU and 448Mi memory per pod, saving 38.68 USD a month (3 pods); the init container `migrate` changes too (a regular init container runs to completion before the pod's containers start, so its requests cost nothing while the pod runs); safety SAFE, confidence HIGH.",
    );
    expect(body).toContain("| `prod` | `shop/Deployment/worker` | `migrate` | 500m → **250m** (-50.0%) | 512Mi → **288Mi** (-43.8%) | — | none (init container) | SAFE | HIGH (100) | change |");
    expect(body).toContain("| `prod` | `shop/Deployment/worker` | `mesh` | 500m → **250m** (-50.0%) | 512Mi → **288Mi** (-43.8%) | — | −19.34 USD | SAFE | HIGH (100) | change |");
  });
});

describe("a CronJob whose failed run used more than the new request", () => {
  const nightly = records.filter((record) => record.workload.name === "nightly-report");
  const body = bodyOf({ records: nightly, branch: "b", policy: defaults });

  it("never says the new request is above the peak, and names the failed run that went higher", () => {
    // Successful peaks 600–700Mi; the failed run of 2026-11-19 peaked at 1572864000 bytes = 1500Mi = 1.46Gi, above the new 1Gi.
    // It said "but stays above the observed peak (700Mi)" while the chart drew the 1500 bar over the 1024 line.
    expect(body).not.toContain("stays above");
    expect(section(body, "Risks and rollback")).toContain(
      "- `report` memory goes down 50.0% to 1Gi, above the peak of the 6 successful runs (700Mi), but below what a failed run used: `nightly-report-29395590` (2026-11-19 02:30Z, exit code 1) peaked at 1.46Gi. " +
        "Failed runs are left out of the sizing (a failed run's peak may be a crash's or a runaway's, not the work of a finished run), so if that usage was real work, a run like it needs more than the new request and is evicted first under node pressure. Find out why it failed before merging.",
    );
  });

  it("lists what the evidence left out, and why", () => {
    expect(section(body, "Evidence: `CronJob/nightly-report`")).toContain(
      "Runs: 7 observed, 6 succeeded, 1 failed (failed runs are excluded from the percentiles).\n" +
        "Left out of the percentiles (a failed run's peak may be a crash's or a runaway's, not the work of a finished run): `nightly-report-29395590` (2026-11-19 02:30Z, exit code 1), where `report` peaked at 900m CPU and 1.46Gi memory.\n",
    );
  });

  it("says the cut stays above every run when the failed runs used less", () => {
    const [record] = structuredClone(nightly);
    record!.observation.runs!.perRunPeaks.find((run) => !run.succeeded)!.containers.report!.memoryPeak = 500 * MI;
    expect(bodyOf({ records: [record!], branch: "b", policy: defaults })).toContain(
      "- `report` memory goes down 50.0% to 1Gi, above the peak of the 6 successful runs (700Mi) (failed runs included); a workload whose memory grows beyond the window's peak may be evicted under node pressure.",
    );
  });
});

describe("limits that move under recommend.limits: keep", () => {
  // CPU p90 300m × 1.15 = 345m, above the 150m limit; memory OOM-killed at its 512Mi limit: 512Mi × 1.2 = 614.4Mi → 615Mi.
  const observation = workload({
    containers: [
      container({
        requests: { cpu: "100m", memory: "512Mi" },
        limits: { cpu: "150m", memory: "512Mi" },
        cpu: usage({ p95: 0.3, max: 0.35 }),
        memory: usage({ p95: 480 * MI, max: 512 * MI }),
        oomKills: [{ at: "2026-11-20T03:12:00Z", pod: "cart-1" }],
      }),
    ],
  });
  const body = bodyOf({ records: [recommend(observation)], branch: "b", policy: defaults, observations: [observation] });

  it("names the cause of each limit's change instead of blaming recommend.limits", () => {
    const risks = section(body, "Risks and rollback");
    expect(risks).toContain("- `server` cpu limit changes too (150m → 345m): raised to the new request, which would exceed the limit 150m.\n");
    expect(risks).toContain("- `server` memory limit changes too (512Mi → 615Mi): raised to the OOM rule's 615Mi: the container was OOM-killed at its limit 512Mi.\n");
    expect(risks).not.toContain("recommend.limits");
  });

  it("says in the configuration what keep still changes", () => {
    expect(section(body, "Configuration")).toContain(
      "- Settings come from `.github/rightsize.yml` (mode `propose`, minimum confidence MEDIUM, limits `keep`, decreases capped at 50% per proposal). With limits `keep`, a limit changes only where the new values need it: raised to a new request that would exceed it, raised to the OOM rule's value after OOM kills, or moved with the requests of a Guaranteed pod; the risks above name the cause of each.\n",
    );
  });
});

describe("the container table of PR bodies, replies and plan --output markdown", () => {
  it("shows a held workload's current values and decision, never the change it computed, with the cluster on every row", () => {
    const held = records.filter((record) => record.workload.name === "search");
    // The engine computed 300m → 150m and 512Mi → 256Mi, held for LOW confidence; the table showed them as the change.
    expect(renderContainerTable(held).split("\n")).toEqual([
      "| Cluster | Workload | Container | CPU request | Memory request | Limits | Per month | Safety | Confidence | Action |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      "| `prod` | `shop/Deployment/search` | `search` | 300m | 512Mi | — | — | CAUTION | LOW (41) | hold |",
    ]);
  });

  it("tells two clusters' rows and headings apart in the plan report", () => {
    const frontend = records.find((record) => record.workload.name === "frontend")!;
    const staging = { ...frontend, workload: { ...frontend.workload, cluster: "staging" } };
    const plan = { workloads: [frontend, staging].map((record) => ({ record, drift: [], edits: [] })), notObserved: [], notInRepo: [] } as unknown as Parameters<typeof renderPlanMarkdown>[0];
    const report = renderPlanMarkdown(plan);
    expect(report).toContain("| `prod` | `shop/Deployment/frontend` | `web` |");
    expect(report).toContain("| `staging` | `shop/Deployment/frontend` | `web` |");
    expect(report).toContain("### Deployment `shop/frontend` (cluster `prod`): propose\n");
    expect(report).toContain("### Deployment `shop/frontend` (cluster `staging`): propose\n");
  });
});
