import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { rightsize } from "../helpers/cli.js";

// What users run is the bundle in dist/ (npm run build), not the sources the other tests import.
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = `${ROOT}bin/rightsize.js`;
const SNAPSHOT = `${ROOT}examples/snapshot.json`;

function built(...args: string[]) {
  if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error("dist/ is missing: run npm run build before the tests");
  const child = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe("the built CLI", () => {
  it("prints the package version", () => {
    const { version } = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { version: string };
    expect(built("--version")).toMatchObject({ status: 0, stdout: `${version}\n` });
  });

  it("prints the same decision records as the sources, with the same exit status", async () => {
    const fromSources = await rightsize("recommend", "--snapshot", SNAPSHOT);
    const fromBundle = built("recommend", "--snapshot", SNAPSHOT);
    expect(JSON.parse(fromBundle.stdout)).toHaveLength(JSON.parse(fromSources.stdout).length);
    expect(fromBundle).toEqual({ status: fromSources.status, stdout: fromSources.stdout, stderr: fromSources.stderr });
  });

  it("reports a bad snapshot with exit 2, naming the file", () => {
    const result = built("recommend", "--snapshot", `${ROOT}package.json`);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("package.json: invalid observation snapshot");
  });
});
