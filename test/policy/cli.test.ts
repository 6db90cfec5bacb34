import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { rightsize } from "../helpers/cli.js";

const fixture = (name: string) => path.join(import.meta.dirname, "../fixtures/policy", name);

describe("rightsize policy validate", () => {
  it("exits 0 for a valid file", async () => {
    const { status, stdout } = await rightsize("policy", "validate", fixture("v1alpha2-full.yml"));
    expect(status).toBe(0);
    expect(stdout).toBe(`${fixture("v1alpha2-full.yml")}: valid (rightsize.dev/v1alpha2)\n`);
  });

  it("exits 1 for a newer version: valid with warnings, proposals paused", async () => {
    const { status, stdout } = await rightsize("policy", "validate", fixture("newer.yml"));
    expect(status).toBe(1);
    expect(stdout.trimEnd().split("\n").pop()).toBe(`${fixture("newer.yml")}: valid with 2 warnings; proposals are paused, reports still work`);
  });

  it("exits 2 and prints every error, not just the first", async () => {
    const { status, stdout } = await rightsize("policy", "validate", fixture("invalid.yml"));
    expect(status).toBe(2);
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(9);
    expect(lines[3]).toBe(`${fixture("invalid.yml")}:9:11 recommend.margins.SAFE: expected a number ≥ 1, got "high"`);
    expect(lines[8]).toBe(`${fixture("invalid.yml")}: invalid (8 errors, 0 warnings)`);
  });

  it("reports as JSON", async () => {
    const { status, stdout } = await rightsize("policy", "validate", fixture("newer.yml"), "--output", "json");
    expect(status).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ valid: true, canPropose: false, apiVersion: "rightsize.dev/v1beta1", errors: [], warnings: [{ line: 1, column: 13, field: "apiVersion" }, { line: 5, column: 3 }] });
  });

  it("exits 2 for a file that does not exist", async () => {
    const { status, stderr } = await rightsize("policy", "validate", fixture("missing.yml"));
    expect(status).toBe(2);
    expect(stderr).toBe(`rightsize: ${fixture("missing.yml")}: policy file not found; check the path (without a file, the defaults apply)\n`);
  });
});

describe("rightsize policy versions and schema", () => {
  it("lists the supported versions", async () => {
    const { stdout } = await rightsize("policy", "versions", "--output", "json");
    expect(JSON.parse(stdout)).toEqual([
      { apiVersion: "rightsize.dev/v1alpha2", status: "current", description: "current" },
      { apiVersion: "rightsize.dev/v1alpha1", status: "legacy", description: 'legacy: still read; rewrite it with "rightsize policy migrate FILE --write"' },
    ]);
  });

  it("prints the JSON Schema, which allows x- keys and forbids unknown ones", async () => {
    const schema = JSON.parse((await rightsize("policy", "schema")).stdout);
    expect(schema.title).toBe("Rightsize policy (rightsize.dev/v1alpha2)");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.patternProperties).toEqual({ "^x-": {} });
    expect(schema.properties.recommend.properties.margins.properties.SAFE).toMatchObject({ type: "number", minimum: 1, default: 1.15 });
  });
});

describe("mistyped policy values", () => {
  it("get a suggestion when one allowed value is clearly meant: another case, or a letter or two off", async () => {
    const directory = mkdtempSync(path.join(tmpdir(), "rightsize-values-"));
    const file = path.join(directory, "rightsize.yml");
    writeFileSync(
      file,
      "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nmode: Propose\napply:\n  minConfidence: medium\nrecommend:\n  limits: kep\n  cpu: {percentile: p9}\nobserve: {source: promethus}\n",
    );
    try {
      const { status, stdout } = await rightsize("policy", "validate", file);
      expect(status).toBe(2);
      expect(stdout).toBe(
        [
          `${file}:3:7 mode: expected one of propose, recommend, disabled, got "Propose": did you mean "propose"?`,
          `${file}:5:18 apply.minConfidence: expected one of LOW, MEDIUM, HIGH, got "medium": did you mean "MEDIUM"?`,
          `${file}:7:11 recommend.limits: expected one of keep, ratio, memory-equals-request, remove-cpu, got "kep": did you mean "keep"?`,
          // p90, p95 and p99 are each one letter from p9: no guess.
          `${file}:8:21 recommend.cpu.percentile: expected one of p50, p90, p95, p99, max, got "p9"`,
          `${file}:9:19 observe.source: expected one of prometheus, metrics-server, snapshot, got "promethus": did you mean "prometheus"?`,
          `${file}: invalid (5 errors, 0 warnings)`,
          "",
        ].join("\n"),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
