import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InProcessQueue, type WorkJob } from "../../src/app/queue.js";
import { Telemetry } from "../../src/app/telemetry.js";
import { parseObservationSnapshotText } from "../../src/domain/index.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { APP_LOGIN, GitHubStandIn } from "../helpers/github-standin.js";

/** `/metrics` says what happened (SPEC §10): an operator's alerts and dashboards read these numbers. */
const ROOT = path.join(import.meta.dirname, "../..");
const EXAMPLE = readFileSync(path.join(ROOT, "examples/snapshot.json"), "utf8");

/** The sample lines of one metric in the exposition text. */
async function samples(telemetry: Telemetry, name: string): Promise<string[]> {
  return (await telemetry.registry.metrics()).split("\n").filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe("rightsize_commands_total", () => {
  let github: GitHubStandIn;
  let app: TestApp;
  let telemetry: Telemetry;
  let scratch: string;

  beforeEach(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "rightsize-metrics-"));
    const snapshot = path.join(scratch, "snapshot.json");
    const example = parseObservationSnapshotText(EXAMPLE);
    writeFileSync(snapshot, JSON.stringify({ ...example, workloads: example.workloads.filter((workload) => workload.workload.name === "frontend") }));
    github = await GitHubStandIn.withExample();
    app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot }] }, baseUrl: github.apiUrl });
    telemetry = new Telemetry({ defaultMetrics: false });
    app.deps.telemetry = telemetry;
  });

  afterEach(async () => {
    await github.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("counts a refresh that did not refresh as declined, not ok", async () => {
    await app.receive("issue_comment", github.issueComment(901, "/rightsize deployment/frontend"));
    const pull = github.pulls[0]!;
    // bob pushes to the branch: it is his now, and rightsize will not push to it again.
    const work = path.join(scratch, "person");
    const theirs = github.pushAsPerson(pull.head, work, "Keep 300m");
    await app.receive("push", github.pushEvent(`refs/heads/${pull.head}`, theirs, "bob"));

    const comment = github.issueComment(902, "/rightsize refresh", { issue: pull.number }) as { issue: Record<string, unknown> };
    Object.assign(comment.issue, { title: pull.title, state: "open", pull_request: { url: `${github.apiUrl}/repos/acme/shop-config/pulls/${pull.number}` }, user: { login: APP_LOGIN, type: "Bot" } });
    await app.receive("issue_comment", comment);
    expect(github.comments.at(-1)!.body).toMatch(/^@alice rightsize did not refresh this proposal: foreign: /);
    // It counted {command="refresh",result="ok"}.
    expect(await samples(telemetry, "rightsize_commands_total")).toEqual([
      'rightsize_commands_total{command="propose",result="ok"} 1',
      'rightsize_commands_total{command="refresh",result="declined"} 1',
    ]);
  });

  it("counts a reader's refused commands, a writer's help, and a pull-request command asked for in an issue as declined", async () => {
    github.permissions.set("carol", "read");
    await app.receive("issue_comment", github.issueComment(903, "/rightsize all\n/rightsize help", { login: "carol" }));
    await app.receive("issue_comment", github.issueComment(904, "/rightsize help\n/rightsize refresh"));
    expect(github.comments.at(-1)!.body).toContain("rightsize runs `/rightsize refresh` only in its own pull requests");
    expect(await samples(telemetry, "rightsize_commands_total")).toEqual([
      'rightsize_commands_total{command="propose",result="refused"} 1',
      'rightsize_commands_total{command="help",result="refused"} 1',
      'rightsize_commands_total{command="help",result="ok"} 1',
      'rightsize_commands_total{command="refresh",result="declined"} 1',
    ]);
  });
});

describe("rightsize_github_rate_limit_remaining", () => {
  it("has no sample until GitHub sends rate-limit headers (GHES with rate limiting off sends none: it read 0, a false alert)", async () => {
    const telemetry = new Telemetry({ defaultMetrics: false });
    telemetry.observeResponse({ "content-type": "application/json" });
    telemetry.observeResponse({ "x-ratelimit-remaining": "" });
    expect(await samples(telemetry, "rightsize_github_rate_limit_remaining")).toEqual([]);
    telemetry.observeResponse({ "x-ratelimit-remaining": "4999", "x-ratelimit-resource": "core" });
    telemetry.observeResponse({ "x-ratelimit-remaining": "29", "x-ratelimit-resource": "search" });
    telemetry.observeResponse({ "x-ratelimit-remaining": "4998" });
    expect(await samples(telemetry, "rightsize_github_rate_limit_remaining")).toEqual([
      'rightsize_github_rate_limit_remaining{resource="core"} 4998',
      'rightsize_github_rate_limit_remaining{resource="search"} 29',
    ]);
  });
});

describe("rightsize_errors_total", () => {
  it("counts every failed attempt of a job, a TypeError as UNEXPECTED (such a job was missing)", async () => {
    const telemetry = new Telemetry({ defaultMetrics: false });
    const queue = new InProcessQueue({ telemetry, attempts: 2, backoffMilliseconds: 5 });
    await queue.start(async () => {
      const pull: { head?: { sha: string } } = {};
      void pull.head!.sha;
    });
    const job: WorkJob = { kind: "event", id: "event-1", installationId: 2, repository: "acme/shop-config" };
    await queue.enqueue(job);
    await queue.drain();
    expect(await samples(telemetry, "rightsize_errors_total")).toEqual(['rightsize_errors_total{kind="UNEXPECTED"} 2']);
    expect(await samples(telemetry, "rightsize_jobs_failed_total")).toEqual(['rightsize_jobs_failed_total{kind="event"} 1']);
    await queue.close();
  });
});
