import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";

/*
 * package.json `engines` says which Node.js versions rightsize runs on; the README says the same,
 * the Dockerfile runs one of them, and every installed package allows all of them (else `npm ci`
 * warns EBADENGINE on a supported version).
 */
const ROOT = path.join(import.meta.dirname, "../..");
const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { engines: { node: string }; devDependencies: Record<string, string> };
const ENGINES = manifest.engines.node;

interface InstalledPackage {
  name: string;
  version: string;
  node: string;
}

/** Every package under node_modules (scoped and nested ones too) that states a Node.js range. */
function installedEngines(directory: string): InstalledPackage[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (!entry.isDirectory() || entry.name.startsWith(".")) return [];
    const folder = path.join(directory, entry.name);
    if (entry.name.startsWith("@")) return installedEngines(folder);
    const file = path.join(folder, "package.json");
    const own: InstalledPackage[] = [];
    if (existsSync(file)) {
      const data = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string; engines?: { node?: string } };
      if (data.engines?.node) own.push({ name: data.name ?? entry.name, version: data.version ?? "?", node: data.engines.node });
    }
    return [...own, ...installedEngines(path.join(folder, "node_modules"))];
  });
}

describe("supported Node.js versions", () => {
  it("are 20 from 20.19 (past its end of life, kept while it lasts), 22 from 22.12, and 24", () => {
    const supported = ["20.19.0", "20.20.2", "22.12.0", "22.20.0", "24.0.0", "24.11.1"];
    const unsupported = ["18.20.8", "20.18.3", "21.7.3", "22.11.0", "23.11.1", "25.0.0"];
    expect(supported.filter((version) => !semver.satisfies(version, ENGINES))).toEqual([]);
    expect(unsupported.filter((version) => semver.satisfies(version, ENGINES))).toEqual([]);
  });

  it("include the Node.js running these tests", () => {
    expect(semver.satisfies(process.version, ENGINES), `${process.version} against ${ENGINES}`).toBe(true);
  });

  it("are stated in the README exactly as package.json says them", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toContain(`\`engines\`: \`${ENGINES}\``);
  });

  it("include the Node.js of every image the Dockerfile builds from", () => {
    const images = [...readFileSync(path.join(ROOT, "Dockerfile"), "utf8").matchAll(/^FROM node:(\d+)(?:\.(\d+))?[^\s]*/gm)];
    expect(images.length).toBeGreaterThan(0);
    for (const [line, major, minor] of images) {
      // A tag of a major line (node:22) runs its newest release; a tag with a minor runs that minor's newest.
      const newest = minor === undefined ? `${major}.999.999` : `${major}.${minor}.999`;
      expect(semver.satisfies(newest, ENGINES), line).toBe(true);
    }
  });

  it("are type-checked against the oldest one: @types/node is of its major", () => {
    expect(semver.minVersion(manifest.devDependencies["@types/node"]!)!.major).toBe(semver.minVersion(ENGINES)!.major);
  });

  it("are all allowed by every installed package, so npm ci warns of no engine on any of them", () => {
    const packages = installedEngines(path.join(ROOT, "node_modules"));
    expect(packages.length).toBeGreaterThan(100);
    const refusing = packages.filter((entry) => !semver.subset(ENGINES, entry.node)).map((entry) => `${entry.name}@${entry.version} needs node ${entry.node}`);
    expect(refusing).toEqual([]);
  });
});
