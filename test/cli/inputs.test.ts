import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readInputFile } from "../../src/cli/inputs.js";

const scratch = mkdtempSync(path.join(tmpdir(), "rightsize-inputs-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("readInputFile", () => {
  it("decodes UTF-8 across the reader's 512 KiB chunks and shows invalid bytes as U+FFFD", async () => {
    const file = path.join(scratch, "large.json");
    // 524,287 ASCII bytes, then "→" (E2 86 92) across the 524,288-byte boundary, a lone 0xFF, and "b".
    const bytes = Buffer.concat([Buffer.alloc(524_287, "a"), Buffer.from("→", "utf8"), Buffer.from([0xff]), Buffer.from("b")]);
    writeFileSync(file, bytes);
    expect(await readInputFile(file, "the test file")).toBe(`${"a".repeat(524_287)}→\ufffdb`);
  });

  it("names the file and the reason when it cannot be read", async () => {
    const missing = path.join(scratch, "missing.json");
    await expect(readInputFile(missing, "the observation snapshot", "; write one")).rejects.toThrow(`${missing}: cannot read the observation snapshot (file not found); write one`);
  });
});
