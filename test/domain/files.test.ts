import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTextFileBounded } from "../../src/domain/index.js";

const scratch = mkdtempSync(path.join(tmpdir(), "rightsize-files-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const write = (name: string, content: string | Buffer) => {
  const file = path.join(scratch, name);
  writeFileSync(file, content);
  return file;
};

describe("readTextFileBounded", () => {
  it("reads an empty file, a small one and one of exactly the bound, and refuses one byte more without reading it", async () => {
    expect(await readTextFileBounded(write("empty.yaml", ""), 8)).toEqual({ kind: "text", text: "", bytes: 0 });
    expect(await readTextFileBounded(write("small.yaml", "a: é\n"), 1024 * 1024)).toEqual({ kind: "text", text: "a: é\n", bytes: 6 });
    expect(await readTextFileBounded(write("exact.yaml", "12345678"), 8)).toEqual({ kind: "text", text: "12345678", bytes: 8 });
    expect(await readTextFileBounded(write("over.yaml", "123456789"), 8)).toEqual({ kind: "too-large", bytes: 9 });
  });

  it("says where a file is not UTF-8, and what is not a regular file", async () => {
    expect(await readTextFileBounded(write("latin1.yaml", Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a])), 64)).toMatchObject({ kind: "not-utf8" });
    expect(await readTextFileBounded(scratch, 64)).toEqual({ kind: "not-a-file" });
    expect(await readTextFileBounded(path.join(scratch, "missing.yaml"), 64)).toEqual({ kind: "missing" });
  });
});
