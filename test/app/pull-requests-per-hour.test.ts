import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../src/app/settings.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { EXAMPLE_WORKLOADS, writeExampleSnapshot } from "../helpers/example.js";
import { GitHubStandIn } from "../helpers/github-standin.js";

/**
 * SPEC §10 "Organisations": new pull requests per installation and clock hour
 * (RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR). What is not opened waits, and the reply says so and
 * until when. The example repository with three observed workloads, a limit of 2.
 */

let github: GitHubStandIn;
let app: TestApp;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "rightsize-per-hour-"));
  const snapshot = writeExampleSnapshot(scratch);
  github = await GitHubStandIn.withExample();
  app = await createTestApp({ clusters: { clusters: [{ name: "prod", snapshot }] }, baseUrl: github.apiUrl, now: "2026-11-23T06:10:00Z" });
  app.deps.settings = { ...DEFAULT_SETTINGS, maxPullRequestsPerHour: 2 };
});

afterAll(async () => {
  await github?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("pull requests opened per installation and hour", () => {
  it("opens 2 of 3 in the hour, says the third waits until 07:00 UTC, and opens it after", async () => {
    await app.receive("issue_comment", github.issueComment(801, "/rightsize all"));
    expect(github.pulls).toHaveLength(2);
    const reply = github.comments.filter((comment) => comment.issue === 1).at(-1)!.body;
    const opened = new Set(github.pulls.map((pull) => pull.head.split("deployment-")[1]));
    const waiting = EXAMPLE_WORKLOADS.find((name) => !opened.has(name))!;
    expect(reply).toContain(
      `Not proposed:\n- \`shop/Deployment/${waiting}\` — rate-limited: this installation has opened its 2 new pull requests for this hour (the operator's RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR), so this one waits: the next scan opens it, or ask again after 07:00 UTC.`,
    );
    // An update of an open proposal opens nothing: the same command within the hour leaves the two as they are.
    await app.receive("issue_comment", github.issueComment(802, "/rightsize all"));
    expect(github.pulls).toHaveLength(2);

    app.deps.now = () => new Date("2026-11-23T07:00:00Z");
    await app.receive("issue_comment", github.issueComment(803, "/rightsize all"));
    expect(github.pulls).toHaveLength(3);
    expect(github.pulls.at(-1)!.head).toBe(`rightsize/prod/shop/deployment-${waiting}`);
  });
});
