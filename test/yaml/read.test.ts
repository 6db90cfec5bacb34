import { describe, expect, it } from "vitest";
import { describeYamlError, formatSize, parseYamlText, quoteShort, shortText, YAML_BOUNDS } from "../../src/yaml/index.js";

/** The one reader of YAML nobody here wrote (issue 11): what it refuses, and what its messages never say. */
describe("yaml messages quote nothing from the file", () => {
  it("keeps yaml's description and drops the position, the source excerpt and source text at the end", () => {
    expect(describeYamlError({ message: "Missing , or : between flow map items at line 3, column 4:\n\n{a b}\n^\n" })).toBe("Missing , or : between flow map items");
    expect(describeYamlError({ message: "Unresolved tag: !vault/secret" })).toBe("Unresolved tag");
    expect(describeYamlError({ message: "Block scalar header includes extra characters: ghp_token" })).toBe("Block scalar header includes extra characters");
    expect(describeYamlError({ message: 'Unexpected scalar token in YAML stream: "GITHUB_TOKEN=ghp_0123456789abcdef"' })).toBe("Unexpected scalar token in YAML stream");
  });

  it("shortens names and values to 64 printable characters", () => {
    expect(shortText("a\u0000b\nc")).toBe("a?b?c");
    expect(shortText("x".repeat(100))).toBe(`${"x".repeat(63)}…`);
    expect(quoteShort("web")).toBe('"web"');
  });

  it("states a size over a bound exactly when rounding would make it read like the bound", () => {
    expect(formatSize(1_048_577, 1_048_576)).toBe("1,048,577 bytes");
    expect(formatSize(3 * 1024 * 1024 + 512 * 1024, 1_048_576)).toBe("3.5 MiB");
  });
});

describe("parseYamlText", () => {
  const bounds = { maxBytes: YAML_BOUNDS.manifestBytes, templates: true };

  it("finds {{ outside scalars and comments, and only there", () => {
    expect(parseYamlText("a: '{{ x }}'\nb: {{ y }}\n", bounds).problem).toEqual({ kind: "template", offset: 16, message: "template syntax" });
    expect(parseYamlText("a: '{{ x }}'  # {{ c }}\nb: |\n  {{ y }}\nc: d{{e}}\n", bounds).problem).toBeUndefined();
  });

  it("measures nesting on the CST and stops before composing past 256 levels", () => {
    expect(parseYamlText(`${"[".repeat(256)}${"]".repeat(256)}\n`, bounds).problem).toBeUndefined();
    expect(parseYamlText(`${"[".repeat(257)}${"]".repeat(257)}\n`, bounds).problem).toEqual({ kind: "too-deep", offset: 256, message: "nests collections more than 256 levels deep" });
  });

  it("reports a duplicate key at its second occurrence, as yaml's check would", () => {
    expect(parseYamlText("a: 1\nb: {c: 1, c: 2}\n", bounds).problem).toEqual({ kind: "duplicate-key", offset: 15, key: "c", message: 'Map keys must be unique ("c")' });
  });
});
