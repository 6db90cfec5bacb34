import { describe, expect, it } from "vitest";
import { unifiedDiff } from "../../src/manifests/index.js";

const numbered = (count: number): string => Array.from({ length: count }, (_, index) => `line ${index + 1}\n`).join("");

describe("unifiedDiff", () => {
  it("is empty when nothing changed", () => {
    expect(unifiedDiff("a.yaml", "x: 1\n", "x: 1\n")).toBe("");
  });

  it("shows a change with three lines of context and git's a/ b/ headers", () => {
    const before = numbered(10);
    const after = before.replace("line 5\n", "line five\n");
    expect(unifiedDiff("apps/web.yaml", before, after)).toBe(
      [
        "diff --git a/apps/web.yaml b/apps/web.yaml",
        "--- a/apps/web.yaml",
        "+++ b/apps/web.yaml",
        "@@ -2,7 +2,7 @@",
        " line 2",
        " line 3",
        " line 4",
        "-line 5",
        "+line five",
        " line 6",
        " line 7",
        " line 8",
        "",
      ].join("\n"),
    );
  });

  it("makes separate hunks for changes more than six lines apart, and one hunk when closer", () => {
    const before = numbered(20);
    const apart = before.replace("line 2\n", "line two\n").replace("line 12\n", "line twelve\n");
    expect(unifiedDiff("f", before, apart).split("\n").filter((line) => line.startsWith("@@"))).toEqual(["@@ -1,5 +1,5 @@", "@@ -9,7 +9,7 @@"]);
    const close = before.replace("line 2\n", "line two\n").replace("line 9\n", "line nine\n");
    expect(unifiedDiff("f", before, close).split("\n").filter((line) => line.startsWith("@@"))).toEqual(["@@ -1,12 +1,12 @@"]);
  });

  it("counts inserted lines and names the line before an empty range", () => {
    expect(unifiedDiff("f", "a\nb\n", "a\nnew\nb\n")).toBe("diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n+new\n b\n");
    expect(unifiedDiff("f", "", "x\n")).toBe("diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+x\n");
  });

  it("marks a missing final newline as git does", () => {
    expect(unifiedDiff("f", "a\nb", "a\nc")).toBe("diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n");
    expect(unifiedDiff("f", "a", "a\n")).toBe("diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n");
  });

  it("keeps the carriage return of CRLF lines", () => {
    expect(unifiedDiff("f", "a: 1\r\nb: 2\r\n", "a: 1\r\nb: 3\r\n")).toBe("diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a: 1\r\n-b: 2\r\n+b: 3\r\n");
  });
});
