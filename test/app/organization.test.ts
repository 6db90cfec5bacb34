import { describe, expect, it } from "vitest";
import { readOperatorSettings, DEFAULT_SETTINGS } from "../../src/app/settings.js";
import { scheduleOffsetMinutes, shiftCron, shortestGapMinutes, spreadSchedule } from "../../src/app/spread.js";
import { renderPaused } from "../../src/app/render/organization.js";
import { resolveControls, type OperatorControls } from "../../src/pipeline/index.js";
import { onboardingPolicyText } from "../../src/pipeline/organization/policy-text.js";
import { loadPolicy } from "../../src/policy/index.js";

const OPERATOR: OperatorControls = { onboarding: true, pauseSetting: "the server's RIGHTSIZE_PAUSE", onboardingSetting: "the server's RIGHTSIZE_ONBOARDING=false" };

describe("scheduled scans spread over their window", () => {
  it("shifts a cron by whole minutes, carrying into the hour and, past midnight, into the next weekday", () => {
    expect(shiftCron("0 6 * * 1", 77)).toBe("17 7 * * 1"); // 06:00 + 1h17m
    expect(shiftCron("0 22 * * 5", 150)).toBe("30 0 * * 6"); // Friday 22:00 + 2h30m = Saturday 00:30
    expect(shiftCron("0 22 * * *", 150)).toBe("30 0 * * *"); // every day: no weekday to move
    expect(shiftCron("0 6 * * 0", 0)).toBe("0 6 * * 0");
  });

  it("cuts the shift so that no firing crosses midnight where the next day cannot be written", () => {
    // The 1st of the month at 23:30: 30 minutes are left before midnight, so 100 minutes become 100 mod 30 = 10.
    expect(shiftCron("30 23 1 * *", 100)).toBe("40 23 1 * *");
    // Mondays at 06:00 and 23:00: 23:00 + 90m would be Tuesday, 06:00 + 90m not; 60 minutes are left, 90 mod 60 = 30.
    expect(shiftCron("0 6,23 * * 1", 90)).toBe("30 6,23 * * 1");
    // Several minutes an hour: left as it is.
    expect(shiftCron("*/15 * * * *", 7)).toBe("*/15 * * * *");
  });

  it("stays below the cron's shortest gap, so an hourly cron stays hourly", () => {
    expect(shortestGapMinutes("0 6 * * 1")).toBe(7 * 24 * 60);
    expect(shortestGapMinutes("0 6 * * 1-5")).toBe(24 * 60);
    expect(shortestGapMinutes("0 * * * *")).toBe(60);
    expect(spreadSchedule("0 * * * *", "acme/shop-config", 120)).toMatch(/^\d{1,2} \* \* \* \*$/);
  });

  it("is the same for a repository on every replica: the first 32 bits of SHA-256 of its name, modulo the window", () => {
    // sha256("acme/shop-config") starts with 0x…; its first 32 bits modulo 120 are 87 (node -e with crypto).
    expect(scheduleOffsetMinutes("acme/shop-config", 120)).toBe(87);
    expect(scheduleOffsetMinutes("ACME/Shop-Config", 120)).toBe(87);
    expect(spreadSchedule("0 6 * * 1", "acme/shop-config", 120)).toBe("27 7 * * 1"); // 06:00 + 87m
    expect(spreadSchedule("0 6 * * 1", "acme/shop-config", 0)).toBe("0 6 * * 1");
  });

  it("spreads 1,000 repositories on one weekly cron over the two hours: none fires with more than 20 others", () => {
    const perMinute = new Map<string, number>();
    for (let index = 0; index < 1000; index++) {
      const cron = spreadSchedule("0 6 * * 1", `acme/config-${index}`, 120);
      perMinute.set(cron, (perMinute.get(cron) ?? 0) + 1);
    }
    // 1,000 over 120 minutes is 8.3 a minute on average; a hash puts at most 18 in one of them.
    expect(perMinute.size).toBe(120);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(20);
  });
});

describe("the operator's settings", () => {
  it("default to no pause, onboarding, 50 new pull requests an hour and a 2h spread", () => {
    expect(readOperatorSettings({})).toEqual({ onboarding: true, maxPullRequestsPerHour: 50, scheduleSpreadMinutes: 120 });
    expect(readOperatorSettings({})).toEqual(DEFAULT_SETTINGS);
  });

  it("read each variable", () => {
    expect(readOperatorSettings({ RIGHTSIZE_PAUSE: "true", RIGHTSIZE_ONBOARDING: "false", RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR: "0", RIGHTSIZE_SCHEDULE_SPREAD: "90m" })).toEqual({
      pause: true,
      onboarding: false,
      maxPullRequestsPerHour: 0,
      scheduleSpreadMinutes: 90,
    });
    expect(readOperatorSettings({ RIGHTSIZE_PAUSE: "upgrading the clusters" }).pause).toBe("upgrading the clusters");
    expect(readOperatorSettings({ RIGHTSIZE_PAUSE: "false" }).pause).toBeUndefined();
  });

  it("name the variable, the value and the fix when a value is wrong", () => {
    expect(() => readOperatorSettings({ RIGHTSIZE_ONBOARDING: "no" })).toThrow('RIGHTSIZE_ONBOARDING is "no"; set true or false (default true)');
    expect(() => readOperatorSettings({ RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR: "-1" })).toThrow(
      'RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR is "-1"; set a whole number of pull requests, 0 for no limit (default 50)',
    );
    expect(() => readOperatorSettings({ RIGHTSIZE_SCHEDULE_SPREAD: "2d" })).toThrow('RIGHTSIZE_SCHEDULE_SPREAD is "2d"; set a duration up to 24h such as 90m or 2h, 0 for none (default 2h)');
  });
});

describe("organisation controls", () => {
  const organization = (text: string) => loadPolicy({ path: "acme/.github:.github/rightsize.yml", text: `apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\n${text}` }).policy.organization;

  it("pause from the organisation's policy, with its reason, and onboarding by default", () => {
    expect(resolveControls("acme", OPERATOR, organization("organization: {pause: change freeze}\n"), true)).toEqual({
      paused: { by: "the organisation's policy (`acme/.github:.github/rightsize.yml`, `organization.pause`)", reason: "change freeze" },
      onboarding: { enabled: true },
      organizationPolicy: true,
    });
  });

  it("the operator's pause wins, and either may skip onboarding", () => {
    expect(resolveControls("acme", { ...OPERATOR, pause: true }, organization("organization: {pause: freeze, onboarding: false}\n"), true)).toEqual({
      paused: { by: "the operator of this rightsize installation (the server's RIGHTSIZE_PAUSE)" },
      onboarding: { enabled: false, skippedBy: "the organisation's policy (`acme/.github:.github/rightsize.yml`, `organization.onboarding`)" },
      organizationPolicy: true,
    });
    expect(resolveControls("acme", { ...OPERATOR, onboarding: false }, undefined, false).onboarding).toEqual({
      enabled: false,
      skippedBy: "the operator of this rightsize installation (the server's RIGHTSIZE_ONBOARDING=false)",
    });
  });

  it("a paused reply quotes the reason as text: no mention, no markup", () => {
    expect(renderPaused({ by: "the operator of this rightsize installation (the server's RIGHTSIZE_PAUSE)", reason: "<b>@ops</b> #12" })).toBe(
      "rightsize is paused for every repository here, by the operator of this rightsize installation (the server's RIGHTSIZE_PAUSE): &lt;b&gt;@&#8203;ops&lt;/b&gt; \\#&#8203;12. It opens and changes no pull request until the pause is lifted, so it did nothing; `/rightsize help`, `/rightsize policy validate`, `/rightsize doctor`, `/rightsize explain` and `--dry-run` still answer.",
    );
  });
});

describe("the onboarding policy file", () => {
  it("maps every YAML file to the one cluster the installation observes, in mode: recommend, and loads without warnings", () => {
    const text = onboardingPolicyText({ extendsOrganization: false, clusters: ["prod"] });
    expect(text).toBe(
      [
        '# rightsize policy, added by the "Configure rightsize" pull request. Every setting: `rightsize policy schema`',
        "# or the README's \"The policy file\".",
        "apiVersion: rightsize.dev/v1alpha2",
        "kind: RightsizePolicy",
        '# recommend: every scan brings the "rightsize dashboard" issue up to date with what rightsize would',
        "# propose, and opens no pull request. propose: one pull request per workload it can right-size.",
        "mode: recommend",
        "targets:",
        '  - paths: ["**/*.yaml", "**/*.yml"]',
        "    cluster: prod",
        "",
      ].join("\n"),
    );
    const loaded = loadPolicy({ path: ".github/rightsize.yml", text });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.policy.mode).toBe("recommend");
    expect(loaded.policy.targets.map((target) => target.cluster)).toEqual(["prod"]);
  });

  it("extends the organisation's defaults when there are some (their targets), and quotes a cluster name YAML would read otherwise", () => {
    expect(onboardingPolicyText({ extendsOrganization: true, clusters: ["prod"] })).toContain("_extends: .github");
    expect(onboardingPolicyText({ extendsOrganization: true, clusters: ["prod"] })).not.toContain("targets:");
    expect(onboardingPolicyText({ extendsOrganization: false, clusters: ["on", "prod"] })).toContain(
      '# This rightsize installation observes on, prod: name the cluster these manifests run in.\ntargets:\n  - paths: ["**/*.yaml", "**/*.yml"]\n    cluster: "on"\n',
    );
  });
});
