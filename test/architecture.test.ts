import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * SPEC §2 and STYLE: app/cli → pipeline → policy, observe, recommend, manifests → yaml → domain;
 * nothing imports app or cli; a module reaches another only through its index.ts; no import cycle
 * between modules, nor between the files of one module.
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

/**
 * The layers, lowest first: a module imports only from layers below its own. `policy` is the
 * configuration the stages read (recommend and observe read it), so it sits below them; the YAML
 * byte layer sits below both `policy` and `manifests`, which use it.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["package-root.ts"],
  ["domain", "version.ts"],
  ["yaml"],
  ["policy"],
  ["manifests", "recommend", "observe"],
  ["pipeline", "backtest"],
  ["app", "cli", "schemas.ts"],
];

/** Groups of files that import each other in a circle (Tarjan's strongly connected components). */
function cyclesOf(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const order = new Map<string, number>();
  const lowest = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    order.set(node, order.size);
    lowest.set(node, order.get(node)!);
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!order.has(next)) {
        visit(next);
        lowest.set(node, Math.min(lowest.get(node)!, lowest.get(next)!));
      } else if (stack.includes(next)) lowest.set(node, Math.min(lowest.get(node)!, order.get(next)!));
    }
    if (lowest.get(node) !== order.get(node)) return;
    const component = stack.splice(stack.indexOf(node));
    if (component.length > 1 || edges.get(node)?.has(node)) cycles.push(component.sort());
  };
  for (const node of [...edges.keys()].sort()) if (!order.has(node)) visit(node);
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

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

  it("places every module in a layer, and lets a layer import only from the layers below it", () => {
    const rank = new Map(LAYERS.flatMap((layer, index) => layer.map((module) => [module, index] as const)));
    const modules = [...new Set(files(SRC).map((file) => moduleOf(path.relative(SRC, file))))].sort();
    expect(modules.filter((module) => !rank.has(module))).toEqual([]);
    const upward = imports.filter((entry) => moduleOf(entry.from) !== moduleOf(entry.to) && rank.get(moduleOf(entry.to))! >= rank.get(moduleOf(entry.from))!);
    expect([...new Set(upward.map((entry) => `${entry.from} → ${entry.to}`))]).toEqual([]);
  });

  it("keeps the YAML layer free of manifests, policy and pipeline: both manifests and policy use it from yaml/index.ts", () => {
    expect(imports.filter((entry) => moduleOf(entry.from) === "yaml" && moduleOf(entry.to) !== "yaml" && moduleOf(entry.to) !== "domain")).toEqual([]);
    const uses = (module: string) => imports.some((entry) => moduleOf(entry.from) === module && entry.to === "yaml/index.ts");
    expect([uses("manifests"), uses("policy")]).toEqual([true, true]);
    expect(imports.filter((entry) => moduleOf(entry.from) === "policy" && moduleOf(entry.to) === "manifests")).toEqual([]);
  });

  it("has no import cycle between the files of one module", () => {
    const edges = new Map<string, Set<string>>();
    for (const entry of imports) {
      if (moduleOf(entry.from) === moduleOf(entry.to) && isFolderModule(moduleOf(entry.from))) edges.set(entry.from, (edges.get(entry.from) ?? new Set()).add(entry.to));
    }
    expect(cyclesOf(edges).map((cycle) => cycle.join(" ↔ "))).toEqual([]);
  });

  it("finds a cycle of files, and only a cycle", () => {
    const graph = (pairs: [string, string][]) => pairs.reduce((edges, [from, to]) => edges.set(from, (edges.get(from) ?? new Set()).add(to)), new Map<string, Set<string>>());
    expect(cyclesOf(graph([["a.ts", "b.ts"], ["b.ts", "c.ts"], ["c.ts", "a.ts"], ["c.ts", "d.ts"]]))).toEqual([["a.ts", "b.ts", "c.ts"]]);
    expect(cyclesOf(graph([["a.ts", "b.ts"], ["b.ts", "c.ts"], ["a.ts", "c.ts"]]))).toEqual([]);
  });

  it("has the pipeline export what the app and the CLI use, nothing more", () => {
    const names = (text: string, pattern: RegExp) =>
      [...text.matchAll(pattern)].flatMap((match) => match[1]!.split(",").map((name) => name.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0]!).filter(Boolean));
    const exported = names(readFileSync(path.join(SRC, "pipeline/index.ts"), "utf8"), /export\s*(?:type\s*)?\{([^}]*)\}/g);
    const fronts = [...files(path.join(SRC, "app")), ...files(path.join(SRC, "cli"))].map((file) => readFileSync(file, "utf8")).join("\n");
    const used = new Set(names(fronts, /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"[./]*\/pipeline\/index\.js"/g));
    expect(exported.filter((name) => !used.has(name))).toEqual([]);
  });

  it("reaches a proposal's life only through the lifecycle: the app makes no lifecycle call of its own", () => {
    // Closing, deleting branches and the state marker are the lifecycle's (src/pipeline/lifecycle).
    const own = files(path.join(SRC, "app")).filter((file) => /rest\.git\.deleteRef|rest\.pulls\.update\(/.test(readFileSync(file, "utf8")));
    expect(own.map((file) => path.relative(SRC, file))).toEqual([]);
  });

  it("keeps the recommendation engine pure: no file, clock or environment read", () => {
    const engine = files(path.join(SRC, "recommend")).map((file) => [path.relative(SRC, file), readFileSync(file, "utf8")] as const);
    const impure = engine.filter(([, text]) => /from "node:fs|Date\.now\(\)|new Date\(\)|process\.env|version\.js/.test(text)).map(([file]) => file);
    expect(impure).toEqual([]);
  });
});
