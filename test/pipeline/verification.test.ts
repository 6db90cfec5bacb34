import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { parseObservationSnapshotText, type ObservationSnapshot, type WorkloadObservation } from "../../src/domain/index.js";
import { isRolledOut, verifyWorkload, type ProposalState } from "../../src/pipeline/index.js";
import { renderVerificationComment } from "../../src/pipeline/lifecycle/verification-comment.js";
import { parseStateMarker, renderStateMarker } from "../../src/pipeline/lifecycle/state.js";
import { verdictOf } from "../../src/pipeline/lifecycle/verification.js";
import { verifyMergedProposals } from "../../src/pipeline/lifecycle/verify-merged.js";
import { loadPolicy } from "../../src/policy/index.js";
import { DecisionRecordSchema } from "../../src/recommend/index.js";
import { BOT_USER } from "../helpers/app.js";

const ROOT = path.join(import.meta.dirname, "../..");
const GOLDEN = path.join(ROOT, "test/fixtures/verification");
const EXAMPLE = parseObservationSnapshotText(readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8"));
const RECORDS = DecisionRecordSchema.array().parse(JSON.parse(readFileSync(path.join(ROOT, "test/fixtures/decisions/example-records.json"), "utf8")));
const FRONTEND_RECORD = RECORDS.filter((record) => record.workload.name === "frontend");
const MI = 1024 ** 2;
const KEY = "prod/shop/Deployment/frontend";
/** What the merged proposal set (example frontend: cpu 500m → 250m, memory 512Mi → 256Mi). */
const MERGED = { web: { cpu: "250m", memory: "256Mi" } };

/** The frontend as observed after the rollout, with the given usage (CPU p90 and p95, memory max) and evidence. */
function after(cpu: number, memoryMax: number, oomKills: { at: string; pod: string }[] = []): WorkloadObservation {
  const frontend = EXAMPLE.workloads.find((workload) => workload.workload.name === "frontend")!;
  const [web] = frontend.containers;
  return {
    ...frontend,
    window: { from: "2026-11-24T06:00:00Z", to: "2026-11-27T06:00:00Z" },
    containers: [
      {
        ...web!,
        current: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } },
        cpu: { ...web!.cpu!, p90: cpu, p95: cpu, max: cpu * 1.5 },
        memory: { ...web!.memory!, p95: memoryMax * 0.9, max: memoryMax },
        oomKills,
        series: undefined,
      },
    ],
  };
}

describe("verdicts after merge (the kubenow track bands)", () => {
  it.each([
    [0.5, 0, "fits"],
    [0.799, 0, "fits"],
    [0.8, 0, "tight"],
    [0.95, 0, "tight"],
    [0.951, 0, "wrong"],
    [0.1, 1, "wrong"],
  ] as const)("usage at %d of the request with %d OOM kills is %s", (ratio, kills, verdict) => {
    expect(verdictOf(ratio, kills)).toBe(verdict);
  });

  it("judges CPU by the percentile it is sized from and memory by its peak: p90 110m of 250m fits (44%), 220Mi of 256Mi is tight (85.9%)", () => {
    const check = verifyWorkload(KEY, MERGED, after(0.11, 220 * MI), "p90");
    expect(check.containers[0]!.resources.map((resource) => [resource.resource, Number(resource.ratio.toFixed(4)), resource.verdict])).toEqual([
      ["cpu", 0.44, "fits"],
      ["memory", 0.8594, "tight"],
    ]);
    expect(check.verdict).toBe("tight");
  });

  it("judges CPU by the policy's percentile: p90 200m of 250m is tight (80%), while with recommend.cpu.percentile p99 (250m) it is wrong (100%)", () => {
    const observation = after(0.2, 100 * MI);
    observation.containers[0]!.cpu = { ...observation.containers[0]!.cpu!, p99: 0.25 };
    expect(verifyWorkload(KEY, MERGED, observation, "p90").containers[0]!.resources[0]).toMatchObject({ judged: "p90", ratio: 0.8, verdict: "tight" });
    expect(verifyWorkload(KEY, MERGED, observation, "p99").containers[0]!.resources[0]).toMatchObject({ judged: "p99", ratio: 1, verdict: "wrong" });
  });

  it("calls an OOM kill after the change wrong, whatever the usage", () => {
    const check = verifyWorkload(KEY, MERGED, after(0.05, 100 * MI, [{ at: "2026-11-25T10:00:00Z", pod: "frontend-abc" }]), "p90");
    expect([check.containers[0]!.verdict, check.verdict]).toEqual(["wrong", "wrong"]);
  });

  it("sees the rollout when the live requests equal the merged ones, in any unit", () => {
    expect(isRolledOut(MERGED, after(0.1, 100 * MI))).toBe(true);
    const old = after(0.1, 100 * MI);
    old.containers[0]!.current = { requests: { cpu: "500m", memory: "512Mi" }, limits: {} };
    expect(isRolledOut(MERGED, old)).toBe(false);
    const sameValue = after(0.1, 100 * MI);
    sameValue.containers[0]!.current = { requests: { cpu: "0.25", memory: "268435456" }, limits: {} };
    expect(isRolledOut(MERGED, sameValue)).toBe(true);
  });
});

describe("the verification comment with unknown evidence (SPEC §4)", () => {
  it("says OOM kills and restarts are unknown, naming the metric, instead of 0", () => {
    const observation = after(0.11, 180 * MI);
    const unknown = { ...observation, containers: [{ ...observation.containers[0]!, unknown: { oomKills: "kube_pod_container_status_restarts_total", restarts: "kube_pod_container_status_restarts_total" } }] };
    const body = renderVerificationComment([verifyWorkload(KEY, MERGED, unknown, "p90")], FRONTEND_RECORD, "2026-11-24T06:00:00Z");
    expect(body).toContain(
      "- `web`: OOM kills unknown (no `kube_pod_container_status_restarts_total`), restarts unknown (no `kube_pod_container_status_restarts_total`), CPU throttled in 0.0% of periods; **fits**.\n",
    );
  });
});

describe("the verification comment (golden files)", () => {
  it.each([
    ["fits", after(0.11, 180 * MI)],
    ["tight", after(0.11, 220 * MI)],
    ["wrong", after(0.26, 250 * MI, [{ at: "2026-11-25T10:00:00Z", pod: "frontend-7d9c-x1" }])],
  ] as const)("renders %s exactly", (name, observation) => {
    const body = renderVerificationComment([verifyWorkload(KEY, MERGED, observation, "p90")], FRONTEND_RECORD, "2026-11-24T06:00:00Z", name === "wrong" ? "rightsize opened #31 to restore the previous values." : undefined);
    const golden = path.join(GOLDEN, `${name}.md`);
    if (process.env.UPDATE_GOLDEN) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(golden, body);
    }
    expect(body).toBe(readFileSync(golden, "utf8"));
  });
});

describe("checking merged proposals on GitHub", () => {
  const API = "https://api.github.com";
  const REPO = "/repos/acme/shop-config";
  const loaded = loadPolicy({ path: ".github/rightsize.yml", text: "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\n" });
  const octokit = new Octokit({ auth: "t", baseUrl: API });
  const merged: ProposalState = {
    version: 1,
    branch: "rightsize/prod/shop/deployment-frontend",
    workloads: [{ key: KEY, inputsDigest: "0".repeat(64), containers: MERGED }],
    merged: { at: "2026-11-23T09:00:00Z", commit: "5".repeat(40) },
  };
  const pull = (state: ProposalState) => ({ number: 12, body: `proposal body\n\n${renderStateMarker(state)}\n`, head: { ref: state.branch }, user: BOT_USER });
  const snapshotOf = (observation: WorkloadObservation): ObservationSnapshot => ({ ...EXAMPLE, workloads: [observation] });

  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });

  it("records the rollout when it is first seen, comments once after verifyAfter, and never again", async () => {
    let body = "";
    nock(API)
      .get(`${REPO}/pulls`)
      .query({ state: "closed", sort: "updated", direction: "desc", per_page: "100" })
      .reply(200, [pull(merged)])
      .patch(`${REPO}/pulls/12`, (request) => ((body = request.body), true))
      .reply(200, {});
    const first = await verifyMergedProposals({ octokit, repository: { owner: "acme", repo: "shop-config", botLogin: "rightsize[bot]" }, loaded, now: new Date("2026-11-24T06:00:00Z"), observe: async () => ({ snapshot: snapshotOf(after(0.11, 180 * MI)), at: "" }) });
    expect(first).toEqual([{ number: 12, status: "rolled-out" }]);
    const rolledOut = parseStateMarker(body)!;
    expect(rolledOut.verification).toEqual({ rolledOutAt: "2026-11-24T06:00:00.000Z" });

    // Three days later: one observation over exactly the time since the rollout, one comment, the verdict recorded.
    const windows: number[] = [];
    const scopes: unknown[] = [];
    const comments: string[] = [];
    nock(API)
      .get(`${REPO}/pulls`)
      .query(true)
      .reply(200, [pull(rolledOut)])
      .get(`${REPO}/issues/12/comments`)
      .query(true)
      .reply(200, [])
      .post(`${REPO}/issues/12/comments`, (request) => comments.push(request.body) > 0)
      .reply(201, {})
      .patch(`${REPO}/pulls/12`, (request) => ((body = request.body), true))
      .reply(200, {});
    const second = await verifyMergedProposals({
      octokit,
      repository: { owner: "acme", repo: "shop-config", botLogin: "rightsize[bot]" },
      loaded,
      now: new Date("2026-11-27T06:00:00Z"),
      observe: async (policy, scope) => {
        windows.push(policy.policy.observe.window.seconds);
        scopes.push(scope);
        return { snapshot: snapshotOf(after(0.11, 180 * MI)), at: "" };
      },
    });
    expect(second.map((outcome) => [outcome.number, outcome.status])).toEqual([[12, "verified"]]);
    expect(windows).toEqual([3 * 86_400]);
    // Only the merged proposal's cluster and namespace are observed.
    expect(scopes).toEqual([{ cluster: "prod", namespaces: ["shop"] }]);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatch(/^\*\*rightsize checked these requests after they ran from 2026-11-24T06:00:00.000Z \(rollout seen\) to 2026-11-27T06:00:00Z: fits/);
    expect(parseStateMarker(body)!.verification).toEqual({ rolledOutAt: "2026-11-24T06:00:00.000Z", checkedAt: "2026-11-27T06:00:00.000Z", verdict: "fits" });

    // Once checked, the pull request is not looked at again.
    nock(API).get(`${REPO}/pulls`).query(true).reply(200, [pull(parseStateMarker(body)!)]);
    expect(await verifyMergedProposals({ octokit, repository: { owner: "acme", repo: "shop-config", botLogin: "rightsize[bot]" }, loaded, now: new Date("2026-11-28T06:00:00Z"), observe: async () => { throw new Error("not observed"); } })).toEqual([]);
  });

  it("does not comment again when an earlier run commented but failed to record the verdict (a retried job)", async () => {
    const rolledOut = { ...merged, verification: { rolledOutAt: "2026-11-24T06:00:00.000Z" } };
    let body = "";
    nock(API)
      .get(`${REPO}/pulls`)
      .query(true)
      .reply(200, [pull(rolledOut)])
      .get(`${REPO}/issues/12/comments`)
      .query(true)
      .reply(200, [{ id: 1, body: "**rightsize checked these requests** …\n\n<!-- rightsize:verification -->", user: BOT_USER }])
      .patch(`${REPO}/pulls/12`, (request) => ((body = request.body), true))
      .reply(200, {});
    const outcome = await verifyMergedProposals({ octokit, repository: { owner: "acme", repo: "shop-config", botLogin: "rightsize[bot]" }, loaded, now: new Date("2026-11-27T06:00:00Z"), observe: async () => ({ snapshot: snapshotOf(after(0.11, 180 * MI)), at: "" }) });
    expect(outcome.map((entry) => entry.status)).toEqual(["verified"]);
    expect(parseStateMarker(body)!.verification).toMatchObject({ checkedAt: "2026-11-27T06:00:00.000Z", verdict: "fits" });
  });

  it("says once that a merged change never rolled out after a week", async () => {
    const stale = after(0.1, 100 * MI);
    stale.containers[0]!.current = { requests: { cpu: "500m", memory: "512Mi" }, limits: {} };
    const comments: string[] = [];
    let body = "";
    nock(API)
      .get(`${REPO}/pulls`)
      .query(true)
      .reply(200, [pull(merged)])
      .get(`${REPO}/issues/12/comments`)
      .query(true)
      .reply(200, [])
      .post(`${REPO}/issues/12/comments`, (request) => comments.push(request.body) > 0)
      .reply(201, {})
      .patch(`${REPO}/pulls/12`, (request) => ((body = request.body), true))
      .reply(200, {});
    const outcome = await verifyMergedProposals({ octokit, repository: { owner: "acme", repo: "shop-config", botLogin: "rightsize[bot]" }, loaded, now: new Date("2026-12-01T06:00:00Z"), observe: async () => ({ snapshot: snapshotOf(stale), at: "" }) });
    expect(outcome).toEqual([{ number: 12, status: "no-rollout" }]);
    expect(comments).toEqual([
      "rightsize could not check these requests: 7 days after the merge (2026-11-23T09:00:00Z) the cluster still runs the old values. Is the change synced (Argo CD, Flux)? rightsize will check again once the new values run.\n\n<!-- rightsize:no-rollout -->",
    ]);
    nock(API).get(`${REPO}/pulls`).query(true).reply(200, [pull(parseStateMarker(body)!)]);
    expect(await verifyMergedProposals({ octokit, repository: { owner: "acme", repo: "shop-config", botLogin: "rightsize[bot]" }, loaded, now: new Date("2026-12-02T06:00:00Z"), observe: async () => ({ snapshot: snapshotOf(stale), at: "" }) })).toEqual([
      { number: 12, status: "waiting-for-rollout" },
    ]);
  });
});
