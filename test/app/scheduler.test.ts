import { describe, expect, it } from "vitest";
import { nextRun, ScanScheduler } from "../../src/app/scheduler.js";

const repository = (repo: string) => ({ owner: "acme", repo, defaultBranch: "main", cloneUrl: `https://github.com/acme/${repo}.git` });

describe("scheduled scans", () => {
  it("computes the next run of a cron expression in UTC", () => {
    // 2026-11-23 is a Monday: "0 6 * * 1" next fires on Monday the 30th.
    expect(new Date(nextRun("0 6 * * 1", new Date("2026-11-23T06:00:00Z"))).toISOString()).toBe("2026-11-30T06:00:00.000Z");
    expect(new Date(nextRun("*/15 * * * *", new Date("2026-11-23T06:07:00Z"))).toISOString()).toBe("2026-11-23T06:15:00.000Z");
  });

  it("scans each repository when its schedule is due, once, then waits for the next", async () => {
    let now = new Date("2026-11-23T05:59:00Z");
    const scanned: string[] = [];
    const scheduler = new ScanScheduler({
      now: () => now,
      readCron: async (_installation, repo) => (repo.repo === "hourly" ? "0 * * * *" : "0 6 * * 1"),
      scan: async (installation, repo) => void scanned.push(`${installation}:${repo.repo}@${now.toISOString()}`),
      onError: () => undefined,
    });
    await scheduler.track(2, repository("weekly"));
    await scheduler.track(2, repository("hourly"));
    await scheduler.tick();
    expect(scanned).toEqual([]);
    now = new Date("2026-11-23T06:00:30Z");
    await scheduler.tick();
    await scheduler.tick();
    expect(scanned).toEqual(["2:weekly@2026-11-23T06:00:30.000Z", "2:hourly@2026-11-23T06:00:30.000Z"]);
    now = new Date("2026-11-23T07:00:00Z");
    await scheduler.tick();
    expect(scanned.slice(2)).toEqual(["2:hourly@2026-11-23T07:00:00.000Z"]);
  });

  it("keeps scanning the other repositories when one scan fails, and reports the failure", async () => {
    const now = new Date("2026-11-23T06:00:00Z");
    const failures: string[] = [];
    const scanned: string[] = [];
    const scheduler = new ScanScheduler({
      now: () => now,
      readCron: async () => "0 6 * * 1",
      scan: async (_installation, repo) => {
        if (repo.repo === "broken") throw new Error("Prometheus is down");
        scanned.push(repo.repo);
      },
      onError: (repo, error) => failures.push(`${repo.repo}: ${(error as Error).message}`),
    });
    await scheduler.track(1, repository("broken"));
    await scheduler.track(1, repository("fine"));
    for (const entry of scheduler.scheduled()) entry.next = now.getTime();
    await scheduler.tick();
    expect(failures).toEqual(["broken: Prometheus is down"]);
    expect(scanned).toEqual(["fine"]);
  });
});
