import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULT_POLICY, loadPolicy } from "../../src/policy/index.js";

const README = readFileSync(path.join(import.meta.dirname, "../../README.md"), "utf8");
const reference = /<!-- policy-reference -->\n```yaml\n([\s\S]*?)```/.exec(README)?.[1];

function leafPaths(value: unknown, prefix = ""): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value) || (typeof value === "object" && "nanos" in value) || (typeof value === "object" && "seconds" in value)) {
    return [prefix];
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([key, child]) => leafPaths(child, prefix ? `${prefix}.${key}` : key));
}

describe("the README's policy reference", () => {
  it("is a valid policy that equals the defaults", () => {
    expect(reference).toBeDefined();
    const loaded = loadPolicy({ path: "README.md", text: reference! });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.policy).toEqual(DEFAULT_POLICY);
  });

  it("names every setting of the schema", () => {
    const written = leafPaths(parse(reference!)).sort();
    expect(written).toEqual(leafPaths(DEFAULT_POLICY).sort());
  });
});
