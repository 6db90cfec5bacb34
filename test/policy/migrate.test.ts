import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadPolicy, migratePolicyText, PolicyInvalidError } from "../../src/policy/index.js";
import { rightsize } from "../helpers/cli.js";

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
      "recommend.safetyFactor became per-rating recommend.margins",
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

  it("writes margins where safetyFactor was, keeping the comment above it and the one after its value", () => {
    const migration = migratePolicyText({ path: "legacy-team.yml", text: legacy });
    expect(migration.text).toContain("recommend:\n  # margins agreed with the SRE team\n  margins:   # raise only after an incident review\n    SAFE: 1.2\n    CAUTION: 1.3\n    RISKY: 1.5\n  limits: keep");
  });

  it("restructures inside a flow mapping, in the flow style", () => {
    const text = "apiVersion: rightsize.dev/v1alpha1\nkind: RightsizePolicy\nrecommend: {safetyFactor: 1.1, limits: keep}  # compact\n";
    expect(migratePolicyText({ path: "p.yml", text }).text).toBe(
      "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nrecommend: {margins: {SAFE: 1.1, CAUTION: 1.3, RISKY: 1.5}, limits: keep}  # compact\napply:\n  minConfidence: MEDIUM\nmetadata:\n  migratedFrom: rightsize.dev/v1alpha1\n",
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
