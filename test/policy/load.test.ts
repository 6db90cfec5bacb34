import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatQuantity } from "../../src/domain/index.js";
import { formatPolicyProblem, loadPolicy, loadPolicyFile, PolicyInvalidError, type PolicyText } from "../../src/policy/index.js";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/policy");
const fixture = (name: string): PolicyText => ({ path: name, text: readFileSync(path.join(FIXTURES, name), "utf8") });

function problemsOf(text: string, file = ".github/rightsize.yml"): string[] {
  try {
    loadPolicy({ path: file, text });
  } catch (error) {
    if (error instanceof PolicyInvalidError) return error.problems.map(formatPolicyProblem);
    throw error;
  }
  throw new Error("expected the policy to be invalid");
}

const HEADER = "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\n";

describe("loading rightsize.dev/v1alpha2", () => {
  it("reads every section, applies defaults to the rest and keeps metadata and x- keys out of the way", () => {
    const loaded = loadPolicy(fixture("v1alpha2-full.yml"));
    expect(loaded.canPropose).toBe(true);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.source.apiVersion).toBe("rightsize.dev/v1alpha2");
    expect(loaded.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    const { policy } = loaded;
    expect(policy.metadata).toEqual({ owner: "platform-team" });
    expect(policy.clusters).toEqual([
      { name: "prod", context: "prod-eu", prometheus: expect.objectContaining({ url: "http://prometheus.monitoring:9090", retries: 3 }) },
    ]);
    expect(policy.targets[0]).toEqual({ paths: ["apps/prod/**/*.yaml"], cluster: "prod", namespace: "default", helm: [] });
    expect(policy.selector.namespaces).toEqual({ allow: [], deny: ["kube-system", "monitoring"] });
    expect(policy.selector.containers.exclude).toEqual(["istio-proxy", "linkerd-proxy"]);
    expect(policy.observe.window).toEqual({ text: "14d", seconds: 14 * 86_400 });
    expect(policy.recommend.margins).toEqual({ SAFE: 1.2, CAUTION: 1.4, RISKY: 1.6 });
    expect(policy.recommend.jobMargins).toEqual({ SAFE: 1.2, CAUTION: 1.5, RISKY: 2 });
    expect(formatQuantity(policy.recommend.bounds.cpu.min, "m")).toBe("20m");
    expect(formatQuantity(policy.recommend.bounds.cpu.max, "plain")).toBe("8");
    expect(formatQuantity(policy.recommend.bounds.memory.max, "Gi")).toBe("256Gi");
    expect(policy.recommend.limits).toBe("ratio");
    expect(policy.apply.minConfidence).toBe("HIGH");
    expect(policy.apply.jobs).toEqual({ enabled: true, minRuns: 5 });
    expect(policy.pullRequests.grouping).toBe("namespace");
    expect(policy.pullRequests.verifyAfter).toEqual({ text: "36h", seconds: 36 * 3600 });
    expect(policy.rateLimits).toEqual({ maxOpenPullRequests: 10, perWorkloadWindow: { text: "7d", seconds: 604_800 } });
    expect(policy.schedule.cron).toBe("0 6 * * 1");
  });

  it("gives the SPEC defaults for a file with only apiVersion and kind", () => {
    const { policy } = loadPolicy({ path: "p.yml", text: HEADER });
    expect(policy.mode).toBe("propose");
    expect(policy.recommend.margins).toEqual({ SAFE: 1.15, CAUTION: 1.3, RISKY: 1.5 });
    expect(policy.recommend.minChangePercent).toBe(10);
    expect(policy.recommend.maxDecreasePercent).toBe(50);
    expect(formatQuantity(policy.recommend.bounds.memory.min, "Mi")).toBe("32Mi");
    expect(policy.apply.minConfidence).toBe("MEDIUM");
    expect(policy.pullRequests.labels).toEqual(["rightsize"]);
  });
});

describe("loading rightsize.dev/v1alpha1", () => {
  it("reads the legacy shape through the migration steps and warns that it is legacy", () => {
    const loaded = loadPolicy(fixture("v1alpha1.yml"));
    expect(loaded.canPropose).toBe(true);
    expect(loaded.source.apiVersion).toBe("rightsize.dev/v1alpha1");
    // safetyFactor 1.4 → {SAFE: 1.4, CAUTION: max(1.4, 1.3), RISKY: max(1.4, 1.5)}
    expect(loaded.policy.recommend.margins).toEqual({ SAFE: 1.4, CAUTION: 1.4, RISKY: 1.5 });
    expect(loaded.policy.rateLimits).toEqual({ maxOpenPullRequests: 5, perWorkloadWindow: { text: "3d", seconds: 259_200 } });
    expect(loaded.policy.metadata).toEqual({ migratedFrom: "rightsize.dev/v1alpha1" });
    expect(loaded.warnings.map(formatPolicyProblem)).toEqual([
      'v1alpha1.yml:2:13 apiVersion: warning: rightsize.dev/v1alpha1 is legacy: still read; rewrite it with "rightsize policy migrate FILE --write"',
    ]);
  });

  it("rejects v1alpha2-only keys in a v1alpha1 file", () => {
    const text = "apiVersion: rightsize.dev/v1alpha1\nkind: RightsizePolicy\napply:\n  minConfidence: HIGH\n";
    expect(problemsOf(text)).toEqual([
      '.github/rightsize.yml:1:13 apiVersion: warning: rightsize.dev/v1alpha1 is legacy: still read; rewrite it with "rightsize policy migrate FILE --write"',
      '.github/rightsize.yml:4:3 apply.minConfidence: unknown key "minConfidence": remove it, or name it "x-minConfidence" to keep it as your own extension (known keys here: allowWithHpa, unknownOomKills)',
    ]);
  });
});

describe("version handling", () => {
  it("reads a newer rightsize.dev version for the fields it knows, warns, and refuses to propose", () => {
    const loaded = loadPolicy(fixture("newer.yml"));
    expect(loaded.canPropose).toBe(false);
    expect(loaded.policy.recommend.minChangePercent).toBe(5);
    expect(loaded.warnings.map(formatPolicyProblem)).toEqual([
      "newer.yml:1:13 apiVersion: warning: rightsize.dev/v1beta1 is newer than this rightsize understands (newest: rightsize.dev/v1alpha2); known fields are read and reports work, but proposals are paused until rightsize is upgraded",
      'newer.yml:5:3 recommend.forecasting: warning: unknown key "forecasting" is ignored: this rightsize does not know it',
    ]);
  });

  it.each([
    ["apiVersion: foo.example/v1\n", '.github/rightsize.yml:1:13 apiVersion: unsupported apiVersion "foo.example/v1": use one of rightsize.dev/v1alpha2, rightsize.dev/v1alpha1'],
    ["apiVersion: rightsize.dev/v1alpha0\n", '.github/rightsize.yml:1:13 apiVersion: unsupported apiVersion "rightsize.dev/v1alpha0": use one of rightsize.dev/v1alpha2, rightsize.dev/v1alpha1'],
    ["apiVersion: rightsize.dev/latest\n", '.github/rightsize.yml:1:13 apiVersion: unsupported apiVersion "rightsize.dev/latest": use one of rightsize.dev/v1alpha2, rightsize.dev/v1alpha1'],
    ["mode: propose\n", '.github/rightsize.yml:1:1 apiVersion: apiVersion is missing: add "apiVersion: rightsize.dev/v1alpha2" (supported: rightsize.dev/v1alpha2, rightsize.dev/v1alpha1)'],
  ])("rejects %j with the supported versions", (head, expected) => {
    expect(problemsOf(`${head}kind: RightsizePolicy\n`)).toEqual([expected]);
  });

  it("rejects a kind other than RightsizePolicy", () => {
    expect(problemsOf("apiVersion: rightsize.dev/v1alpha2\nkind: Deployment\n")).toEqual([
      '.github/rightsize.yml:2:7 kind: expected "RightsizePolicy", got "Deployment"',
    ]);
  });
});

describe("errors point at the line and column and say how to fix it", () => {
  it("lists every problem of a file, not just the first, in file order", () => {
    expect(problemsOf(fixture("invalid.yml").text, "invalid.yml")).toEqual([
      'invalid.yml:3:7 mode: expected one of propose, recommend, disabled, got "sometimes"',
      "invalid.yml:5:12 targets[0].paths: expected at least 1 item, got a list",
      'invalid.yml:6:5 targets[0].clustr: unknown key "clustr": did you mean "cluster"?',
      'invalid.yml:9:11 recommend.margins.SAFE: expected a number ≥ 1, got "high"',
      "invalid.yml:10:23 recommend.maxDecreasePercent: expected a number from 0 to 100, got 150",
      'invalid.yml:12:19 recommend.bounds.memory.min: "10mi" is not a Kubernetes quantity; the suffix "mi" is case-sensitive, did you mean "Mi"?',
      'invalid.yml:14:11 observe.window: expected a duration such as 15m, 36h, 7d, got "7 days"',
      'invalid.yml:16:9 schedule.cron: invalid cron expression "61 6 * * 1": Constraint error, got value 61 expected range 0-59',
    ]);
  });

  it("keeps keys starting with x- anywhere as user extensions", () => {
    const loaded = loadPolicy({ path: "p.yml", text: `${HEADER}x-team: a\nrecommend:\n  x-note: b\n  minChangePercent: 12\n` });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.policy.recommend.minChangePercent).toBe(12);
  });

  it("suggests nothing for a key far from every known key, and lists the known keys", () => {
    expect(problemsOf(`${HEADER}pullRequests:\n  zzz: 1\n`)).toEqual([
      '.github/rightsize.yml:4:3 pullRequests.zzz: unknown key "zzz": remove it, or name it "x-zzz" to keep it as your own extension (known keys here: grouping, labels, draft, reviewers, commitDecisionRecords, titlePrefix, dashboard, verifyAfter)',
    ]);
  });

  it("treats an empty file as the defaults, with a warning saying how to start it", () => {
    const loaded = loadPolicy({ path: "p.yml", text: "" });
    expect(loaded.canPropose).toBe(true);
    expect(loaded.policy.mode).toBe("propose");
    expect(loaded.warnings.map(formatPolicyProblem)).toEqual([
      'p.yml:1:1: warning: the policy file is empty, so the defaults apply; start it with "apiVersion: rightsize.dev/v1alpha2" and "kind: RightsizePolicy"',
    ]);
  });

  it("rejects a file that is a list", () => {
    expect(problemsOf("# comment\n- apiVersion: rightsize.dev/v1alpha2\n")).toEqual([
      ".github/rightsize.yml:2:1: the policy file must be a mapping of keys (apiVersion, kind, ...), got a list",
    ]);
  });

  it("rejects tabs used for indentation at the line that has them", () => {
    expect(problemsOf(`${HEADER}recommend:\n\tlimits: keep\n`)).toEqual([
      ".github/rightsize.yml:4:1: Tabs are not allowed as indentation: indent with spaces, not tabs",
    ]);
  });

  it("rejects duplicate keys naming the key and its line", () => {
    expect(problemsOf(`${HEADER}mode: propose\nrecommend: {}\nmode: recommend\n`)).toEqual([
      '.github/rightsize.yml:5:1: Map keys must be unique ("mode"): a key appears twice in the same mapping; keep one of them',
    ]);
  });

  it("reports a required field that is missing at its parent", () => {
    expect(problemsOf(`${HEADER}targets:\n  - cluster: prod\n`)).toEqual([
      ".github/rightsize.yml:4:5 targets[0].paths: is required: add it (a list)",
    ]);
  });
});

describe("_extends (org-level defaults, merged like Probot's context.config)", () => {
  it("merges the base under the repo file: objects deep, arrays concatenated, the repo file winning", async () => {
    const loaded = await loadPolicyFile(path.join(FIXTURES, "extends-org.yml"));
    expect(loaded.policy.recommend.margins).toEqual({ SAFE: 1.25, CAUTION: 1.3, RISKY: 1.5 });
    expect(loaded.policy.recommend.minChangePercent).toBe(20);
    expect(loaded.policy.pullRequests.labels).toEqual(["rightsize", "platform", "team-a"]);
  });

  it("positions an error in the base file when the base defines the bad value", () => {
    const base = { path: "base.yml", text: `${HEADER}recommend:\n  limits: sometimes\n` };
    const file = { path: "repo.yml", text: `_extends: base.yml\n${HEADER}mode: recommend\n` };
    try {
      loadPolicy(file, [base]);
      expect.unreachable();
    } catch (error) {
      expect((error as PolicyInvalidError).problems.map(formatPolicyProblem)).toEqual([
        'base.yml:4:11 recommend.limits: expected one of keep, ratio, memory-equals-request, remove-cpu, got "sometimes"',
      ]);
    }
  });

  it("names a missing base file and how _extends is resolved", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "rightsize-policy-"));
    try {
      writeFileSync(path.join(dir, "repo.yml"), `_extends: org/base.yml\n${HEADER}`);
      await expect(loadPolicyFile(path.join(dir, "repo.yml"))).rejects.toThrow(
        `repo.yml:1:11 _extends: "org/base.yml" not found at ${path.relative(process.cwd(), path.join(dir, "org/base.yml"))}; the CLI reads _extends as a file path relative to the policy file`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names an explicitly given policy file that does not exist", async () => {
    await expect(loadPolicyFile(path.join(FIXTURES, "does-not-exist.yml"))).rejects.toThrow(
      "does-not-exist.yml: policy file not found; check the path (without a file, the defaults apply)",
    );
  });

  it("with no file at the default path, uses the defaults", async () => {
    const loaded = await loadPolicyFile(undefined, FIXTURES);
    expect(loaded.source.path).toBe("(defaults)");
    expect(loaded.policy.apply.minConfidence).toBe("MEDIUM");
  });
});
