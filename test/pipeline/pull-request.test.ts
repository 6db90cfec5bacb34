import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseObservationSnapshotText, workloadKey } from "../../src/domain/index.js";
import { GITHUB_BODY_LIMIT } from "../../src/pipeline/index.js";
import { parseStateMarker, renderStateMarker } from "../../src/pipeline/lifecycle/state.js";
import { renderPullRequest } from "../../src/pipeline/body/pull-request.js";
import { loadPolicy } from "../../src/policy/index.js";
import { DecisionRecordSchema } from "../../src/recommend/index.js";
import { container, hourly, recommend, usage, workload } from "../recommend/builders.js";

const FIXTURES = path.join(import.meta.dirname, "../fixtures");
const EXAMPLES = path.join(import.meta.dirname, "../../examples");
const records = DecisionRecordSchema.array().parse(JSON.parse(readFileSync(path.join(FIXTURES, "decisions/example-records.json"), "utf8")));
const snapshot = parseObservationSnapshotText(readFileSync(path.join(EXAMPLES, "snapshot.json"), "utf8"));
const policyPath = path.join(EXAMPLES, "config-repo/.github/rightsize.yml");
const { policy } = loadPolicy({ path: ".github/rightsize.yml", text: readFileSync(policyPath, "utf8") });
const recordOf = (name: string) => records.filter((record) => record.workload.name === name);

describe("the pull request body (SPEC §8)", () => {
  const checkout = renderPullRequest({
    records: recordOf("checkout"),
    branch: "rightsize/prod/shop/deployment-checkout",
    policy,
    observations: snapshot.workloads,
    files: ["apps/checkout/checkout.yaml"],
  });

  it("renders the checkout proposal exactly as reviewed", () => {
    const golden = path.join(FIXTURES, "pull-requests/checkout.md");
    // UPDATE_GOLDEN=1 rewrites the file after a deliberate change; review its diff before committing.
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, checkout.body);
    expect(checkout.body).toBe(readFileSync(golden, "utf8"));
  });

  it("titles the PR with the first changed container's values and counts the others", () => {
    expect(checkout.title).toBe("rightsize(shop/checkout): cpu 200m→220m, memory 256Mi→356Mi (+1 more container)");
    expect(renderPullRequest({ records: recordOf("frontend"), branch: "b", policy }).title).toBe(
      "rightsize(shop/frontend): cpu 500m→250m, memory 512Mi→256Mi",
    );
  });

  it("labels with the policy labels, the lowest confidence and the worst safety rating", () => {
    expect(checkout.labels).toEqual(["rightsize", "confidence:medium", "safety:caution"]);
  });

  it("keeps the SPEC's section order", () => {
    const order = [
      "**rightsize proposes new requests for Deployment `shop/checkout`",
      "| Cluster | Workload | Container | CPU request |",
      "#### Evidence: `Deployment/checkout`",
      "```mermaid\nxychart-beta",
      "#### Risks and rollback",
      "#### Configuration",
      "<details><summary>Decision record (decision.json)</summary>",
      "#### Commands",
      "- [ ] refresh this proposal",
      "<!-- rightsize:state ",
    ];
    const positions = order.map((text) => checkout.body.indexOf(text));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("carries a state marker that parses back to what was proposed", () => {
    const state = parseStateMarker(checkout.body);
    expect(state).toEqual({
      version: 1,
      branch: "rightsize/prod/shop/deployment-checkout",
      workloads: [
        {
          key: "prod/shop/Deployment/checkout",
          inputsDigest: recordOf("checkout")[0]!.inputsDigest,
          containers: { server: { cpu: "220m", memory: "356Mi" }, envoy: { cpu: "50m", memory: "64Mi" } },
        },
      ],
    });
    expect(parseStateMarker(`text\n${renderStateMarker(state!)}\n`)).toEqual(state);
  });

  it("draws each run's peak against the current and the recommended request when a CronJob has no series", () => {
    const { body } = renderPullRequest({ records: recordOf("nightly-report"), branch: "b", policy });
    expect(body).toContain(
      [
        "```mermaid",
        "xychart-beta",
        '  title "nightly-report/report cpu peak per run (millicores)"',
        '  x-axis ["11-16 02:30", "11-17 02:30", "11-18 02:30", "11-19 02:30 failed", "11-20 02:30", "11-21 02:30", "11-22 02:30"]',
        '  y-axis "millicores" 0 --> 1100',
        "  bar [420, 450, 400, 900, 480, 440, 470]",
        "  line [1000, 1000, 1000, 1000, 1000, 1000, 1000]",
        "  line [575, 575, 575, 575, 575, 575, 575]",
        "```",
      ].join("\n"),
    );
    // 639631360 bytes = 610 MiB; the memory chart runs against 2Gi = 2048 MiB and 1Gi = 1024 MiB.
    expect(body).toContain("  bar [610, 640, 600, 1500, 655, 630, 700]\n  line [2048, 2048, 2048, 2048, 2048, 2048, 2048]\n  line [1024, 1024, 1024, 1024, 1024, 1024, 1024]");
  });

  it("shows run-based evidence as readable numbers: percentiles over the successful runs' peaks", () => {
    const { body } = renderPullRequest({ records: recordOf("nightly-report"), branch: "b", policy });
    // Successful peaks: CPU 0.40 0.42 0.44 0.45 0.47 0.48 cores; memory 600 610 630 640 655 700 Mi.
    // p95 interpolates at rank 0.95 × 5 = 4.75: 0.47 + 0.75 × 0.01 = 0.4775 cores, 655 + 0.75 × 45 = 688.75Mi.
    expect(body).toContain("| `report` | cpu | 445m | 475m | 477.5m | 479.5m | 480m | 6 |");
    expect(body).toContain("| `report` | memory | 635Mi | 677.5Mi | 688.8Mi | 697.8Mi | 700Mi | 6 |");
    expect(body).toContain("Runs: 7 observed, 6 succeeded, 1 failed (failed runs are excluded from the percentiles).");
  });

  it("shows a CPU limit that policy limits: remove-cpu drops as removed", () => {
    const [frontend] = recordOf("frontend");
    const web = frontend!.containers[0]!;
    const record = {
      ...frontend!,
      containers: [
        {
          ...web,
          current: { ...web.current, limits: { cpu: "1", memory: "1Gi" } },
          recommended: { ...web.recommended, limits: { memory: "1Gi" } },
          reasons: [...web.reasons, "cpu limit 1 removed: the policy removes CPU limits (limits: remove-cpu)"],
        },
      ],
    };
    const { body } = renderPullRequest({ records: [record], branch: "b", policy });
    expect(body).toContain("| `prod` | `shop/Deployment/frontend` | `web` | 500m → **250m** (-50.0%) | 512Mi → **256Mi** (-50.0%) | cpu 1 → **removed**, memory 1Gi | −19.63 USD | SAFE | HIGH (80) | change |");
    expect(body).toContain("- `web` cpu limit changes too (1 → removed): the policy removes CPU limits (limits: remove-cpu).");
  });

  it("ignores a body without a marker or with a damaged one", () => {
    expect(parseStateMarker("no marker here")).toBeUndefined();
    expect(parseStateMarker("<!-- rightsize:state bm90IGpzb24 -->")).toBeUndefined();
    expect(parseStateMarker(null)).toBeUndefined();
  });

  it("stays under GitHub's 65,536 characters by dropping charts, then evidence, then the record JSON, never the table or the digests", () => {
    const many = Array.from({ length: 4 }, (_, index) =>
      records.map((record) => ({ ...record, workload: { ...record.workload, name: `${record.workload.name}-${index}` } })),
    ).flat();
    const observations = many.map((record) => ({
      ...snapshot.workloads.find((observation) => observation.workload.name === record.workload.name.replace(/-\d+$/, ""))!,
      workload: record.workload,
    }));
    const grouped = renderPullRequest({ records: many, branch: "rightsize/prod/shop", policy, observations });
    expect(grouped.body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(grouped.body).not.toContain("```mermaid");
    expect(grouped.body).toContain("Trimmed to fit GitHub's size limit: charts, evidence");
    for (const record of many) {
      expect(grouped.body).toContain(`Decision digest for \`${record.workload.kind}/${record.workload.name}\`: \`${record.inputsDigest}\``);
      expect(grouped.body).toContain(`| \`${record.workload.namespace}/${record.workload.kind}/${record.workload.name}\` |`);
    }
    expect(parseStateMarker(grouped.body)?.workloads.map((workload) => workload.key)).toEqual(many.map((record) => workloadKey(record.workload)));
    expect(grouped.title).toBe(`rightsize(shop): right-size ${many.length} workloads`);
  });
});

describe("risks of a change of QoS class", () => {
  type Resources = { requests: { cpu?: string; memory?: string }; limits: { cpu?: string; memory?: string } };
  const guaranteed: Resources = { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "500m", memory: "512Mi" } };
  const frontend = recordOf("frontend")[0]!;
  const withValues = (recommended: Resources) =>
    ({ ...frontend, containers: frontend.containers.map((container) => ({ ...container, current: guaranteed, recommended })) });

  it("warns when a Guaranteed pod becomes Burstable", () => {
    const body = renderPullRequest({ records: [withValues({ requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } })], branch: "b", policy }).body;
    expect(body).toContain(
      "- Deployment `frontend` leaves the Guaranteed QoS class for Burstable: its requests no longer all equal its limits (policy `recommend.limits`). Burstable pods are evicted before Guaranteed ones under node pressure; `recommend.limits: keep` keeps the class.",
    );
  });

  it("says nothing when the limits move with the requests", () => {
    const body = renderPullRequest({ records: [withValues({ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "250m", memory: "256Mi" } })], branch: "b", policy }).body;
    expect(body).not.toContain("QoS class");
  });
});

describe("trends, gates and cost in the body (issue 13)", () => {
  const MI = 1024 * 1024;
  it("prices the change in the verdict and says what to do about a leak", () => {
    // Hourly max 760Mi + 90Mi/day over 7 days: 1536Mi → 2032Mi (projected peak 2020Mi), 496Mi more per pod.
    const leak = hourly(7, (hours) => [(740 + (90 * hours) / 24) * MI, (760 + (90 * hours) / 24) * MI]);
    const record = recommend(
      workload({ windowHours: 168, containers: [container({ requests: { cpu: "210m", memory: "1536Mi" }, memory: usage({ p95: 1350 * MI, max: 1390 * MI }), series: { memory: leak } })] }),
    );
    const { body } = renderPullRequest({ records: [record], branch: "b", policy });
    // 496Mi = 0.484375GiB × 0.004237 USD × 730 h × 3 pods = 4.49 USD more a month.
    expect(body.split("\n")[0]).toBe("**rightsize proposes new requests for Deployment `shop/cart` (cluster `prod`)**: adds 496Mi memory per pod, costing 4.49 USD more a month (3 pods); safety SAFE, confidence HIGH.");
    expect(body).toContain("| `shop/Deployment/cart` | `server` | 210m | 1536Mi → **2032Mi** (+32.3%) | — | +4.49 USD | SAFE | HIGH (80) | change |");
    expect(body).toContain(
      "- `server` memory grows ~90Mi/day (likely a leak): the new request covers the projected peak over 7d (2020Mi) and no more. Find the leak (a heap profile, the allocations since the last release) or restart the pods on a schedule; until then rightsize keeps raising memory and never lowers it.",
    );
  });

  it("puts what needs attention under the verdict when an UNSAFE container's memory is raised at once", () => {
    const kills = [14, 15, 16, 17, 18, 19, 20].map((day) => ({ at: `2026-11-${day}T03:12:00Z`, pod: "cart-1" }));
    const record = recommend(
      workload({ containers: [container({ requests: { cpu: "210m", memory: "512Mi" }, limits: { memory: "512Mi" }, memory: usage({ p95: 480 * MI, max: 512 * MI }), restarts: 7, oomKills: kills })] }),
    );
    const { body, labels } = renderPullRequest({ records: [record], branch: "b", policy });
    expect(labels).toContain("safety:unsafe");
    expect(body.split("\n\n")[1]).toBe(
      "> **Needs attention** (`Deployment/cart`): server: rated UNSAFE: 7 OOM kills in the window (UNSAFE at 5 or more); proposed at once: memory 512Mi → 615Mi because it was OOM-killed (7 OOM kills in the window, last 2026-11-20T03:12Z); find out why it is OOM-killed (a leak, a traffic spike, a limit set too low)",
    );
    expect(body).toContain("- `server` is rated UNSAFE: only the increases it needs are proposed; its decreases wait until the cause (OOM kills, restarts) is fixed.");
  });
});
