import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { planRepository, readWorkingTreeFiles, tickedRows, untickAll, type ProposalResult } from "../../src/pipeline/index.js";
import { renderDashboard, type DashboardInput } from "../../src/pipeline/dashboard/render.js";
import { savingsOf } from "../../src/pipeline/dashboard/sync.js";
import { loadPolicyFile } from "../../src/policy/index.js";
import { TOOL } from "../../src/version.js";

const ROOT = path.join(import.meta.dirname, "../..");
const GOLDEN = path.join(ROOT, "test/fixtures/dashboard/example.md");
const snapshot = parseObservationSnapshotText(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8"));

async function examplePlan() {
  const loaded = await loadPolicyFile(undefined, path.join(ROOT, "examples/config-repo"));
  return planRepository({ tool: TOOL, files: await readWorkingTreeFiles(path.join(ROOT, "examples/config-repo")), loaded, snapshot, at: snapshot.createdAt });
}

const ref = (name: string, kind: "Deployment" | "CronJob" = "Deployment") => ({ cluster: "prod", namespace: "shop", kind, name });

async function exampleInput(): Promise<DashboardInput> {
  const plan = await examplePlan();
  const results: ProposalResult[] = [
    { branch: "rightsize/prod/shop/deployment-frontend", workloads: [ref("frontend")], status: "created", title: "rightsize(shop/frontend): cpu 500m→250m, memory 512Mi→256Mi", files: [], pullRequestNumber: 12 },
    { branch: "rightsize/prod/shop/deployment-checkout", workloads: [ref("checkout")], status: "declined", title: "t", files: [], reason: "pull request #9 (`server`: cpu 250m, memory 356Mi; `envoy`: cpu 50m, memory 64Mi) was closed without merging on 2026-11-20; values within 10% of it are not proposed again" },
    { branch: "rightsize/prod/shop/deployment-api", workloads: [ref("api")], status: "failed", title: "t", files: [], reason: "GitHub: could not create the tree in acme/shop-config (HTTP 503): Service Unavailable" },
    { branch: "rightsize/prod/shop/cronjob-nightly-report", workloads: [ref("nightly-report", "CronJob")], status: "rate-limited", title: "t", files: [], reason: "10 rightsize pull requests are open (rateLimits.maxOpenPullRequests: 10); merge or close some first" },
  ];
  return {
    base: { branch: "main", commit: "0123456789abcdef0123456789abcdef01234567" },
    workloads: plan.workloads,
    results,
    openProposals: [{ number: 12, title: "rightsize(shop/frontend): cpu 500m→250m, memory 512Mi→256Mi", keys: ["prod/shop/Deployment/frontend"] }],
    ignored: { "prod/shop/Deployment/frontend": ["istio-proxy"] },
    verdicts: [{ number: 4, key: "prod/shop/Deployment/cartservice", verdict: "wrong" }],
    savings: { currency: "USD", open: 19.63, merged: 117.04 },
  };
}

describe("the dashboard issue (SPEC §8)", () => {
  it("renders every section in order, with a checkbox per row (golden file)", async () => {
    const body = renderDashboard(await exampleInput());
    if (process.env.UPDATE_GOLDEN) {
      mkdirSync(path.dirname(GOLDEN), { recursive: true });
      writeFileSync(GOLDEN, body);
    }
    expect(body).toBe(readFileSync(GOLDEN, "utf8"));
    const titles = [...body.matchAll(/^### (.+) \(\d+\)$/gm)].map((match) => match[1]);
    expect(titles).toEqual(["Needs attention", "Open proposals", "Waiting for data", "Declined", "Ignored", "Rate limited", "Errored", "Every workload"]);
  });

  it("says when evidence is unknown, links the last doctor result, and lists what is unknown under needs attention", async () => {
    const input = await exampleInput();
    const [first, ...rest] = input.workloads;
    const container = first!.record.containers[0]!;
    const unknown = {
      ...first!,
      record: {
        ...first!.record,
        containers: [
          { ...container, evidence: { oomKills: null, restarts: null, throttledRatio: 0, unknown: [{ evidence: "restarts" as const, metric: "kube_pod_container_status_restarts_total" }, { evidence: "oomKills" as const, metric: "kube_pod_container_status_restarts_total" }] } },
          ...first!.record.containers.slice(1),
        ],
      },
    };
    const key = `${unknown.ref.cluster}/${unknown.ref.namespace}/${unknown.ref.kind}/${unknown.ref.name}`;
    const withLink = renderDashboard({ ...input, workloads: [unknown, ...rest], doctorUrl: "https://github.com/acme/shop-config/issues/3#issuecomment-42" });
    expect(withLink.split("\n").slice(2, 6)).toEqual([
      "From the manifests on `main` and the last observations; rightsize edits this issue after every scan. Tick a box to ask for a fresh proposal of that workload (rightsize unticks it when done).",
      "",
      'Some evidence is unknown because metrics are missing (rows say "unknown"): [the last `/rightsize doctor` result](https://github.com/acme/shop-config/issues/3#issuecomment-42) says which, what each costs and how to fix it.',
      "",
    ]);
    expect(withLink).toContain(`- [ ] \`${unknown.ref.namespace}/${unknown.ref.kind}/${unknown.ref.name}\` (prod): unknown: restarts, OOM kills <!-- rightsize:row ${key} -->`);
    const withoutLink = renderDashboard({ ...input, workloads: [unknown, ...rest] });
    expect(withoutLink).toContain('Some evidence is unknown because metrics are missing (rows say "unknown"): comment `/rightsize doctor` here to see which, what each costs and how to fix it.\n');
    // Nothing unknown: no such line (the golden file above has none).
    expect(renderDashboard(input)).not.toContain("Some evidence is unknown");
  });

  it("is the same text for the same scan, so a repeated scan writes nothing", async () => {
    expect(renderDashboard(await exampleInput())).toBe(renderDashboard(await exampleInput()));
  });

  it("prices what open proposals would save and merged ones saved from their records' monthly cost", async () => {
    const plan = await examplePlan();
    const record = (name: string) => plan.workloads.find((workload) => workload.ref.name === name)!.record;
    const run = { plan, loaded: { policy: { cost: { currency: "USD" } } } } as unknown as Parameters<typeof savingsOf>[0];
    const frontend = -record("frontend").cost!.monthly.total;
    const api = -record("api").cost!.monthly.total;
    // 250m × 0.031611 USD/core-hour × 730 h × 3 pods = 17.307; 0.25 GiB × 0.004237 × 730 × 3 = 2.320.
    expect(frontend).toBeCloseTo(19.63, 2);
    expect(savingsOf(run, [{ keys: ["prod/shop/Deployment/frontend"] }], [record("api")])).toEqual({ currency: "USD", open: Math.round(frontend * 100) / 100, merged: Math.round(api * 100) / 100 });
    expect(savingsOf(run, [], [])).toBeUndefined();
  });

  it("reads the ticked boxes and unticks them again", () => {
    const body = [
      "- [ ] propose again for every workload <!-- rightsize:row * -->",
      "- [x] `shop/Deployment/frontend` (prod): hold <!-- rightsize:row prod/shop/Deployment/frontend -->",
      "- [X] `shop/Deployment/api` (prod): blocked <!-- rightsize:row prod/shop/Deployment/api -->",
      "- [ ] `shop/Deployment/search` (prod): hold <!-- rightsize:row prod/shop/Deployment/search -->",
    ].join("\n");
    expect(tickedRows(body)).toEqual(["prod/shop/Deployment/frontend", "prod/shop/Deployment/api"]);
    expect(tickedRows(untickAll(body))).toEqual([]);
    expect(untickAll(body).split("\n")[1]).toBe("- [ ] `shop/Deployment/frontend` (prod): hold <!-- rightsize:row prod/shop/Deployment/frontend -->");
  });

  it("stays under GitHub's size limit: long sections collapse first, and says so", async () => {
    const input = await exampleInput();
    const many = Array.from({ length: 1500 }, (_, index) => ({ ...input.workloads[0]!, ref: { ...input.workloads[0]!.ref, name: `service-${String(index).padStart(4, "0")}` } }));
    const body = renderDashboard({ ...input, workloads: many });
    expect(body.length).toBeLessThanOrEqual(60_000);
    expect(body).toContain("<details><summary><b>Every workload (");
    expect(body).toContain("collapsed to fit");
    expect(body.endsWith("<!-- rightsize:dashboard -->")).toBe(true);
  });
});
