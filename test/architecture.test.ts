import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * SPEC §2 and STYLE: app/cli → pipeline → policy, observe, recommend, manifests; nothing imports
 * app or cli; a module reaches another only through its index.ts; no import cycle between modules.
 */
const SRC = path.join(import.meta.dirname, "../src");
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name)) : entry.name.endsWith(".ts") ? [path.join(dir, entry.name)] : []));

interface Import {
  from: string;
  to: string;
}

const imports: Import[] = files(SRC).flatMap((file) =>
  [...readFileSync(file, "utf8").matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g)].map((match) => ({
    from: path.relative(SRC, file),
    to: path.relative(SRC, path.resolve(path.dirname(file), (match[1] ?? match[2])!)).replace(/\.js$/, ".ts"),
  })),
);

/** A folder of src/ is a module; a file at the root of src/ is a module of its own. */
const moduleOf = (file: string) => (file.includes("/") ? file.split("/")[0]! : file);
const isFolderModule = (module: string) => !module.endsWith(".ts");

describe("the architecture", () => {
  it("lets nothing import the app or the CLI", () => {
    const offending = imports.filter((entry) => ["app", "cli"].includes(moduleOf(entry.to)) && moduleOf(entry.from) !== moduleOf(entry.to));
    expect(offending).toEqual([]);
  });

  it("reaches another module only through its index.ts", () => {
    const offending = imports.filter((entry) => {
      const target = moduleOf(entry.to);
      return isFolderModule(target) && target !== moduleOf(entry.from) && entry.to !== `${target}/index.ts`;
    });
    expect(offending).toEqual([]);
  });

  it("has no import cycle between modules", () => {
    const edges = new Map<string, Set<string>>();
    for (const entry of imports) {
      const [from, to] = [moduleOf(entry.from), moduleOf(entry.to)];
      if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
    const cycles: string[] = [];
    const visit = (module: string, trail: string[]) => {
      if (trail.includes(module)) return void cycles.push([...trail.slice(trail.indexOf(module)), module].join(" → "));
      for (const next of edges.get(module) ?? []) visit(next, [...trail, module]);
    };
    for (const module of edges.keys()) visit(module, []);
    expect(cycles).toEqual([]);
  });

  it("keeps the recommendation engine pure: no file, clock or environment read", () => {
    const engine = files(path.join(SRC, "recommend")).map((file) => [path.relative(SRC, file), readFileSync(file, "utf8")] as const);
    const impure = engine.filter(([, text]) => /from "node:fs|Date\.now\(\)|new Date\(\)|process\.env|version\.js/.test(text)).map(([file]) => file);
    expect(impure).toEqual([]);
  });
});
