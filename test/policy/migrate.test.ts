import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadPolicy, migratePolicyText, PolicyInvalidError } from "../../src/policy/index.js";
import { rightsize } from "../helpers/cli.js";
import { container, only, recommend, workload } from "../recommend/builders.js";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/policy");
const legacy = readFileSync(path.join(FIXTURES, "legacy-team.yml"), "utf8");
const migrated = readFileSync(path.join(FIXTURES, "legacy-team.migrated.yml"), "utf8");

describe("policy migration v1alpha1 → v1alpha2", () => {
  it("renames, restructures and adds defaults, keeping comments, blank lines and x- fields byte for byte elsewhere", () => {
    const migration = migratePolicyText({ path: "legacy-team.yml", text: legacy });
    expect(migration.text).toBe(migrated);
    expect(migration).toMatchObject({ from: "rightsize.dev/v1alpha1", to: "rightsize.dev/v1alpha2" });
    expect(migration.applied).toEqual([
      "new apiVersion",
      "recommend.safetyFactor f became recommend.margins {SAFE: f, CAUTION: max(f, 1.3), RISKY: max(f, 1.5)}",
      "recommend.cpu.margin: rating, so CPU requests keep using the safety factor as margin (v1alpha2's default, variability, sizes CPU by each container's own spread and leaves the SAFE margin unused)",
      "recommend.memory.margin: rating, so memory requests keep using the safety factor as margin (v1alpha2's default, variability, sizes memory by each container's own spread and leaves the SAFE margin unused)",
      "rateLimits.window was renamed",
      "v1alpha2 proposes only at MEDIUM confidence or above; stated explicitly",
      "records where the file came from",
    ]);
  });

  it("gives a file that validates cleanly and means what the legacy file meant", () => {
    const before = loadPolicy({ path: "legacy-team.yml", text: legacy });
    const after = loadPolicy({ path: "legacy-team.yml", text: migrated });
    expect(after.warnings).toEqual([]);
    expect(after.policy).toEqual(before.policy);
  });

  it("keeps safetyFactor's effect: the migrated margins size requests, not each container's variability", () => {
    const { policy } = loadPolicy({ path: "legacy-team.yml", text: migratePolicyText({ path: "legacy-team.yml", text: legacy }).text });
    expect([policy.recommend.cpu.margin, policy.recommend.memory.margin]).toEqual(["rating", "rating"]);
    // The legacy file read as it is means the same.
    expect(loadPolicy({ path: "legacy-team.yml", text: legacy }).policy.recommend).toEqual(policy.recommend);
    // safetyFactor 1.2: CPU p90 180m × 1.2 = 216m → 220m; memory max 250Mi × 1.2 = 300Mi. With the default margin
    // (variability, capped at 1.15) the factor was lost: 207m → 210m and 287.5Mi → 288Mi.
    const record = recommend(workload({ containers: [container({ requests: { cpu: "300m", memory: "400Mi" } })] }), { policy });
    expect(only(record).recommended.requests).toEqual({ cpu: "220m", memory: "300Mi" });
  });

  it("leaves a margin the file sets, and adds none without a safetyFactor", () => {
    const text = "apiVersion: rightsize.dev/v1alpha1\nkind: RightsizePolicy\nrecommend:\n  cpu: {percentile: p95, margin: variability}\n  safetyFactor: 1.3\n";
    expect(migratePolicyText({ path: "p.yml", text }).text).toBe(
      "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nrecommend:\n  cpu: {percentile: p95, margin: variability}\n  margins:\n    SAFE: 1.3\n    CAUTION: 1.3\n    RISKY: 1.5\n  memory:\n    margin: rating\napply:\n  minConfidence: MEDIUM\nmetadata:\n  migratedFrom: rightsize.dev/v1alpha1\n",
    );
    const plain = "apiVersion: rightsize.dev/v1alpha1\nkind: RightsizePolicy\nmode: propose\n";
    expect(migratePolicyText({ path: "p.yml", text: plain }).text).toBe(
      "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nmode: propose\napply:\n  minConfidence: MEDIUM\nmetadata:\n  migratedFrom: rightsize.dev/v1alpha1\n",
    );
  });

  it("writes margins where safetyFactor was, keeping the comment above it and the one after its value", () => {
    const migration = migratePolicyText({ path: "legacy-team.yml", text: legacy });
    expect(migration.text).toContain("recommend:\n  # margins agreed with the SRE team\n  margins:   # raise only after an incident review\n    SAFE: 1.2\n    CAUTION: 1.3\n    RISKY: 1.5\n  limits: keep");
  });

  it("restructures inside a flow mapping, in the flow style", () => {
    const text = "apiVersion: rightsize.dev/v1alpha1\nkind: RightsizePolicy\nrecommend: {safetyFactor: 1.1, limits: keep}  # compact\n";
    expect(migratePolicyText({ path: "p.yml", text }).text).toBe(
      "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nrecommend: {margins: {SAFE: 1.1, CAUTION: 1.3, RISKY: 1.5}, limits: keep, cpu: {margin: rating}, memory: {margin: rating}}  # compact\napply:\n  minConfidence: MEDIUM\nmetadata:\n  migratedFrom: rightsize.dev/v1alpha1\n",
    );
  });

  it("keeps CRLF line endings", () => {
    const migration = migratePolicyText({ path: "crlf.yml", text: legacy.replaceAll("\n", "\r\n") });
    expect(migration.text).toBe(migrated.replaceAll("\n", "\r\n"));
  });

  it("leaves a current file alone", () => {
    expect(migratePolicyText({ path: "m.yml", text: migrated })).toEqual({ from: "rightsize.dev/v1alpha2", to: "rightsize.dev/v1alpha2", text: migrated, applied: [] });
  });

  it("refuses to migrate a file with errors and lists them", () => {
    const broken = legacy.replace("limits: keep", "limits: sometimes");
    expect(() => migratePolicyText({ path: "legacy-team.yml", text: broken })).toThrow(PolicyInvalidError);
    expect(() => migratePolicyText({ path: "legacy-team.yml", text: broken })).toThrow(
      'legacy-team.yml:12:11 recommend.limits: expected one of keep, ratio, memory-equals-request, remove-cpu, got "sometimes"',
    );
  });
});

describe("rightsize policy migrate", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "rightsize-migrate-"));
    file = path.join(dir, "rightsize.yml");
    writeFileSync(file, legacy);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the migrated file and leaves the original untouched", async () => {
    const { status, stdout, stderr } = await rightsize("policy", "migrate", file);
    expect(status).toBe(0);
    expect(stdout).toBe(migrated);
    expect(stderr).toContain(`${file}: rightsize.dev/v1alpha1 → rightsize.dev/v1alpha2\n  - new apiVersion\n`);
    expect(readFileSync(file, "utf8")).toBe(legacy);
  });

  it("--dry-run prints a unified diff", async () => {
    const { status, stdout } = await rightsize("policy", "migrate", file, "--dry-run");
    expect(status).toBe(0);
    expect(stdout).toContain(`--- a/${file}\n+++ b/${file}\n`);
    expect(stdout).toContain("-apiVersion: rightsize.dev/v1alpha1\n+apiVersion: rightsize.dev/v1alpha2\n");
    expect(stdout).toContain("-  window: 14d   # at most one proposal per workload per fortnight\n+  perWorkloadWindow: 14d   # at most one proposal per workload per fortnight\n");
    expect(readFileSync(file, "utf8")).toBe(legacy);
  });

  it("--write rewrites the file, which then validates clean", async () => {
    expect((await rightsize("policy", "migrate", file, "--write")).status).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(migrated);
    const validation = await rightsize("policy", "validate", file);
    expect(validation.status).toBe(0);
    expect(validation.stdout).toBe(`${file}: valid (rightsize.dev/v1alpha2)\n`);
  });

  it("rejects an unknown target version", async () => {
    const { status, stderr } = await rightsize("policy", "migrate", file, "--to", "v9");
    expect(status).toBe(2);
    expect(stderr).toContain('no migration from rightsize.dev/v1alpha1 to rightsize.dev/v9; see "rightsize policy versions"');
  });
});
