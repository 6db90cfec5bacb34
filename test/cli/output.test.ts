import { afterEach, describe, expect, it, vi } from "vitest";
import { printJsonArray } from "../../src/cli/output.js";

function printed(items: unknown[]): { text: string; writes: number } {
  let text = "";
  let writes = 0;
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((text += String(chunk)), writes++, true));
  printJsonArray(items);
  return { text, writes };
}

describe("printJsonArray", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes the bytes of pretty-printed JSON for empty, one-item and nested arrays", () => {
    const cases: unknown[][] = [[], [1], [{ a: [1, { b: "x\ny" }], c: null }, "two", [], {}]];
    for (const items of cases) expect(printed(items).text).toBe(`${JSON.stringify(items, null, 2)}\n`);
  });

  it("writes a large array in several chunks without changing a byte", () => {
    const items = Array.from({ length: 300 }, (_, index) => ({ index, text: "x".repeat(10_000) }));
    const { text, writes } = printed(items);
    expect(writes).toBeGreaterThan(2);
    expect(text).toBe(`${JSON.stringify(items, null, 2)}\n`);
  });
});
