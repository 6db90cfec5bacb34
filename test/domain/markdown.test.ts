import { describe, expect, it } from "vitest";
import { code, escapeControls, prose, safeMarkdown } from "../../src/domain/index.js";

describe("untrusted text in markdown (SPEC §9)", () => {
  it.each([
    ["web", "`web`"],
    ["a`b", "``a`b``"],
    ["``x`", "``` ``x` ```"],
    ["<img src=x onerror=alert(1)>", "`<img src=x onerror=alert(1)>`"],
    ["line\nbreak\u001b[2J", "`line\\nbreak\\u001b[2J`"],
    [" padded ", "`  padded  `"],
    ["", "`\u200b`"],
  ])("shows %j exactly in a code span", (text, expected) => {
    expect(code(text)).toBe(expected);
  });

  it("escapes pipes inside a table cell's code span", () => {
    expect(code("a|b", { inTable: true })).toBe("`a\\|b`");
  });

  it("turns prose into text: no HTML, no comment opener, no mention, no issue link, no markup", () => {
    expect(prose("<!-- hide --> @acme/admins see #12 *now* [x](y)")).toBe(
      "&lt;\\!-- hide --&gt; @&#8203;acme/admins see \\#&#8203;12 \\*now\\* \\[x\\](y)",
    );
  });

  it("keeps a message's code spans and escapes what is outside them", () => {
    expect(safeMarkdown("container `<b>` in <b>x</b> by @bob, see #3")).toBe("container `<b>` in &lt;b&gt;x&lt;/b&gt; by @&#8203;bob, see #&#8203;3");
  });

  it("finds code spans as CommonMark does, so a stray backtick cannot smuggle a comment opener out", () => {
    // The first backtick has no closing run of one backtick after the double one, so it is literal text.
    expect(safeMarkdown("`a ``<!-- x -->")).toBe("`a ``&lt;!-- x --&gt;");
    expect(safeMarkdown("``a`b`` <!--")).toBe("``a`b`` &lt;!--");
  });

  it("shows control characters as escapes", () => {
    expect(escapeControls("a\u001b]8;;http://x\u0007b\r\n\u202e")).toBe("a\\u001b]8;;http://x\\u0007b\\r\\n\\u202e");
  });
});
