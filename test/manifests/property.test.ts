import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { discoverWorkloads, editDocumentResources, planWorkloadEdit, type ResourceChange } from "../../src/manifests/index.js";

/**
 * Model-based property: manifests are generated from a small model in many styles, a random
 * change is applied to a random container, and the edit must (a) read back as the original
 * documents with only the targeted values changed, (b) leave every line outside the target's
 * resources block byte-identical, and (c) equal, byte for byte, the model rendered after the
 * change: zero collateral bytes.
 */

type Group = "requests" | "limits";
type Resource = "cpu" | "memory";
type Quote = "plain" | "double" | "single";

interface Style {
  indent: 2 | 4;
  seqIndented: boolean;
  eol: "\n" | "\r\n";
  bom: boolean;
  finalNewline: boolean;
  startMarker: boolean;
  endMarkers: boolean;
}

interface Value {
  text: string;
  quote: Quote;
  comment: string;
  trailing: string;
}

interface GroupModel {
  values: [Resource, Value][];
  spaced: boolean;
}

type Resources =
  | { form: "absent" }
  | { form: "null" }
  | { form: "block"; groups: [Group, GroupModel][] }
  | { form: "flow"; spaced: boolean; groups: [Group, GroupModel][] };

interface Container {
  name: string;
  imageTrailing: string;
  note: boolean;
  args: boolean;
  blankAfter: boolean;
  /** Where `resources` sits among the container's keys. */
  resourcesAt: "first" | "middle" | "last";
  resources: Resources;
}

type Kind = "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob";

interface Workload {
  kind: Kind;
  name: string;
  containers: Container[];
  initContainers: Container[];
}

type Doc = Workload | { kind: "ConfigMap"; name: string };

interface Manifest {
  style: Style;
  docs: Doc[];
}

const CPU_VALUES = ["100m", "250m", "1", "2", "0.5", "1500m"];
const MEMORY_VALUES = ["64Mi", "1Gi", "512M", "1073741824"];
const NEW_CPU = ["150m", "3", "0.25", "1200m"];
const NEW_MEMORY = ["96Mi", "2Gi", "300M", "2147483648"];

// ---------- generation ----------

const valueArbitrary = (resource: Resource, block: boolean): fc.Arbitrary<Value> =>
  fc.record({
    text: fc.constantFrom(...(resource === "cpu" ? CPU_VALUES : MEMORY_VALUES)),
    quote: fc.constantFrom<Quote>("plain", "double", "single"),
    comment: block ? fc.constantFrom("", "", "p95 last quarter") : fc.constant(""),
    trailing: block ? fc.constantFrom("", "", "  ") : fc.constant(""),
  });

const groupArbitrary = (block: boolean, spaced: boolean): fc.Arbitrary<GroupModel> =>
  fc
    .record({
      cpu: fc.option(valueArbitrary("cpu", block), { nil: undefined }),
      memory: fc.option(valueArbitrary("memory", block), { nil: undefined }),
      memoryFirst: fc.boolean(),
    })
    .map(({ cpu, memory, memoryFirst }) => {
      const values: [Resource, Value][] = [];
      if (cpu) values.push(["cpu", cpu]);
      if (memory) values.push(["memory", memory]);
      if (memoryFirst) values.reverse();
      return { values, spaced: spaced && values.length > 0 };
    });

const groupsArbitrary = (block: boolean, spaced: boolean): fc.Arbitrary<[Group, GroupModel][]> =>
  fc
    .record({
      requests: fc.option(groupArbitrary(block, spaced), { nil: undefined }),
      limits: fc.option(groupArbitrary(block, spaced), { nil: undefined }),
      limitsFirst: fc.boolean(),
    })
    .map(({ requests, limits, limitsFirst }) => {
      const groups: [Group, GroupModel][] = [];
      if (requests) groups.push(["requests", requests]);
      if (limits) groups.push(["limits", limits]);
      return limitsFirst ? groups.reverse() : groups;
    });

const resourcesArbitrary: fc.Arbitrary<Resources> = fc.oneof(
  fc.constant<Resources>({ form: "absent" }),
  fc.constant<Resources>({ form: "null" }),
  groupsArbitrary(true, false).map((groups): Resources => ({ form: "block", groups })),
  fc.boolean().chain((spaced) => groupsArbitrary(false, spaced).map((groups): Resources => ({ form: "flow", spaced: spaced && groups.length > 0, groups }))),
);

const containerArbitrary: fc.Arbitrary<Omit<Container, "name">> = fc.record({
  imageTrailing: fc.constantFrom("", "", " \t"),
  note: fc.boolean(),
  args: fc.boolean(),
  blankAfter: fc.boolean(),
  resourcesAt: fc.constantFrom<Container["resourcesAt"]>("first", "middle", "last"),
  resources: resourcesArbitrary,
});

const workloadArbitrary = fc.record({
  kind: fc.constantFrom<Kind>("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"),
  containers: fc.array(containerArbitrary, { minLength: 1, maxLength: 3 }),
  initContainers: fc.array(containerArbitrary, { maxLength: 2 }),
});

const manifestArbitrary: fc.Arbitrary<Manifest> = fc
  .record({
    style: fc.record({
      indent: fc.constantFrom<2 | 4>(2, 4),
      seqIndented: fc.boolean(),
      eol: fc.constantFrom<"\n" | "\r\n">("\n", "\r\n"),
      bom: fc.boolean(),
      finalNewline: fc.boolean(),
      startMarker: fc.boolean(),
      endMarkers: fc.boolean(),
    }),
    docs: fc.array(fc.oneof({ weight: 4, arbitrary: workloadArbitrary }, { weight: 1, arbitrary: fc.constant({ kind: "ConfigMap" as const }) }), { minLength: 1, maxLength: 3 }),
  })
  .map(({ style, docs }) => {
    let containerNumber = 0;
    const name = (): string => `c${containerNumber++}`;
    return {
      style,
      docs: docs.map((doc, index): Doc => {
        if (doc.kind === "ConfigMap") return { kind: "ConfigMap", name: `settings${index}` };
        return {
          kind: doc.kind,
          name: `w${index}`,
          containers: doc.containers.map((container) => ({ ...container, name: name() })),
          initContainers: doc.initContainers.map((container) => ({ ...container, name: name() })),
        };
      }),
    };
  })
  .filter((manifest) => manifest.docs.some((doc) => doc.kind !== "ConfigMap"));

const changeArbitrary = fc.record({
  requests: fc.record({ cpu: fieldChange(NEW_CPU), memory: fieldChange(NEW_MEMORY) }),
  limits: fc.record({ cpu: fieldChange(NEW_CPU), memory: fieldChange(NEW_MEMORY) }),
});

function fieldChange(pool: string[]): fc.Arbitrary<string | null | undefined> {
  return fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.constant(null), fc.constantFrom(...pool));
}

// ---------- rendering (the test's own YAML writer) ----------

interface Line {
  text: string;
  /** Set on lines of a container's resources block: `doc/container`. */
  owner?: string;
}

function render(manifest: Manifest): { text: string; lines: Line[] } {
  const { style } = manifest;
  const lines: Line[] = [];
  const pad = (count: number): string => " ".repeat(count);
  const step = style.indent;
  manifest.docs.forEach((doc, index) => {
    if (index > 0 || style.startMarker) lines.push({ text: "---" });
    lines.push({ text: `# document ${index}` });
    if (doc.kind === "ConfigMap") {
      lines.push({ text: "apiVersion: v1" }, { text: "kind: ConfigMap" }, { text: "metadata:" }, { text: `${pad(step)}name: ${doc.name}` }, { text: "data:" }, { text: `${pad(step)}level: info` });
    } else {
      lines.push({ text: `apiVersion: ${doc.kind === "Job" || doc.kind === "CronJob" ? "batch/v1" : "apps/v1"}` }, { text: `kind: ${doc.kind}` }, { text: "metadata:" }, { text: `${pad(step)}name: ${doc.name}` }, { text: "spec:" });
      const path = doc.kind === "CronJob" ? ["jobTemplate", "spec", "template", "spec"] : ["template", "spec"];
      let column = step;
      for (const key of path) {
        lines.push({ text: `${pad(column)}${key}:` });
        column += step;
      }
      for (const [list, containers] of [["containers", doc.containers], ["initContainers", doc.initContainers]] as const) {
        if (containers.length === 0) continue;
        lines.push({ text: `${pad(column)}${list}:` });
        const dash = style.seqIndented ? column + step : column;
        for (const container of containers) lines.push(...renderContainer(container, dash, step, `${index}/${container.name}`));
      }
    }
    if (style.endMarkers && index < manifest.docs.length - 1) lines.push({ text: "..." });
  });
  const text = (style.bom ? "\uFEFF" : "") + lines.map((line) => line.text).join(style.eol) + (style.finalNewline ? style.eol : "");
  return { text, lines };
}

function renderContainer(container: Container, dash: number, step: number, owner: string): Line[] {
  const key = dash + 2;
  const pad = (count: number): string => " ".repeat(count);
  const lines: Line[] = [{ text: `${pad(dash)}- name: ${container.name}` }];
  if (container.note) lines.push({ text: `${pad(key)}# ${container.name} is sized by rightsize` });
  const image: Line = { text: `${pad(key)}image: registry.example/${container.name}:1${container.imageTrailing}` };
  const resources = renderResources(container.resources, key, step).map((text) => ({ text, owner }));
  const args: Line[] = container.args ? [{ text: `${pad(key)}args: ["--name", "${container.name}"]` }] : [];
  const order = { first: [resources, [image], args], middle: [[image], resources, args], last: [[image], args, resources] }[container.resourcesAt];
  lines.push(...order.flat());
  if (container.blankAfter) lines.push({ text: "" });
  return lines;
}

function renderResources(resources: Resources, column: number, step: number): string[] {
  const pad = (count: number): string => " ".repeat(count);
  switch (resources.form) {
    case "absent":
      return [];
    case "null":
      return [`${pad(column)}resources:`];
    case "flow":
      return [`${pad(column)}resources: ${flowMap(resources.groups.map(([group, model]) => `${group}: ${flowMap(model.values.map(([name, value]) => `${name}: ${quote(value)}`), model.spaced)}`), resources.spaced)}`];
    case "block":
      return [
        `${pad(column)}resources:`,
        ...resources.groups.flatMap(([group, model]) => [
          `${pad(column + step)}${group}:`,
          ...model.values.map(([name, value]) => `${pad(column + 2 * step)}${name}: ${quote(value)}${value.comment ? ` # ${value.comment}` : ""}${value.trailing}`),
        ]),
      ];
  }
}

function flowMap(items: string[], spaced: boolean): string {
  if (items.length === 0) return "{}";
  return spaced ? `{ ${items.join(", ")} }` : `{${items.join(", ")}}`;
}

function quote(value: Value): string {
  return value.quote === "double" ? `"${value.text}"` : value.quote === "single" ? `'${value.text}'` : value.text;
}

// ---------- the change, applied to the model and to the parsed documents ----------

type Change = { requests: Record<Resource, string | null | undefined>; limits: Record<Resource, string | null | undefined> };

const FIELDS: [Group, Resource][] = [
  ["requests", "cpu"],
  ["requests", "memory"],
  ["limits", "cpu"],
  ["limits", "memory"],
];

/** What the editor must produce: new values in the old quoting, new keys after the existing ones in canonical order. */
function applyToContainer(container: Container, change: Change): Container {
  let resources = structuredClone(container.resources);
  let resourcesAt = container.resourcesAt;
  for (const [group, name] of FIELDS) {
    const wanted = change[group][name];
    if (typeof wanted !== "string") continue;
    if (resources.form === "absent" || resources.form === "null") {
      // A new resources block goes after the container's last key.
      if (resources.form === "absent") resourcesAt = "last";
      resources = { form: "block", groups: [] };
    }
    let groupModel = resources.groups.find(([candidate]) => candidate === group)?.[1];
    if (!groupModel) {
      groupModel = { values: [], spaced: false };
      resources.groups.push([group, groupModel]);
    }
    const existing = groupModel.values.find(([candidate]) => candidate === name);
    if (existing) existing[1] = { ...existing[1], text: wanted };
    else groupModel.values.push([name, { text: wanted, quote: "plain", comment: "", trailing: "" }]);
  }
  for (const [group, name] of FIELDS) {
    if (change[group][name] !== null || (resources.form !== "block" && resources.form !== "flow")) continue;
    const entry = resources.groups.find(([candidate]) => candidate === group);
    if (!entry || !entry[1].values.some(([candidate]) => candidate === name)) continue;
    entry[1].values = entry[1].values.filter(([candidate]) => candidate !== name);
    if (entry[1].values.length > 0) continue;
    resources.groups = resources.groups.filter(([candidate]) => candidate !== group);
    if (resources.groups.length === 0) resources = { form: "absent" };
  }
  return { ...container, resources, resourcesAt };
}

function plainScalar(text: string): string | number {
  return /^\d+$/.test(text) || /^\d*\.\d+$/.test(text) ? Number(text) : text;
}

type Json = Record<string, unknown>;

function applyToJs(documents: unknown[], docIndex: number, kind: Kind, list: "containers" | "initContainers", position: number, original: Container, change: Change): unknown[] {
  const copy = structuredClone(documents) as Json[];
  const spec = ((copy[docIndex]!.spec as Json) ?? {}) as Json;
  const podSpec = (kind === "CronJob" ? (((spec.jobTemplate as Json).spec as Json).template as Json).spec : (spec.template as Json).spec) as Json;
  const container = (podSpec[list] as Json[])[position]!;
  const existingValue = (group: Group, name: Resource): Value | undefined => {
    const resources = original.resources;
    if (resources.form !== "block" && resources.form !== "flow") return undefined;
    return resources.groups.find(([candidate]) => candidate === group)?.[1].values.find(([candidate]) => candidate === name)?.[1];
  };
  for (const [group, name] of FIELDS) {
    const wanted = change[group][name];
    if (typeof wanted !== "string") continue;
    const before = existingValue(group, name);
    const resources = (container.resources ??= {}) as Json;
    const groupValue = (resources[group] ??= {}) as Json;
    groupValue[name] = before && before.quote !== "plain" ? wanted : plainScalar(wanted);
  }
  for (const [group, name] of FIELDS) {
    if (change[group][name] !== null) continue;
    const resources = container.resources as Json | undefined | null;
    const groupValue = resources?.[group] as Json | undefined | null;
    if (!groupValue || !(name in groupValue)) continue;
    delete groupValue[name];
    if (Object.keys(groupValue).length > 0) continue;
    delete resources![group];
    if (Object.keys(resources!).length === 0) delete container.resources;
  }
  return copy;
}

// ---------- helpers for (b) ----------

/** Indexes of `before` lines kept in order in `after` (longest common subsequence). */
function keptLines(before: string[], after: string[]): Set<number> {
  const table = Array.from({ length: before.length + 1 }, () => new Int32Array(after.length + 1));
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) table[i]![j] = before[i] === after[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
  }
  const kept = new Set<number>();
  for (let i = 0, j = 0; i < before.length && j < after.length; ) {
    if (before[i] === after[j]) {
      kept.add(i);
      i++;
      j++;
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) i++;
    else j++;
  }
  return kept;
}

function targetOf(manifest: Manifest, pick: number): { docIndex: number; workload: Workload; list: "containers" | "initContainers"; position: number; container: Container } {
  const all = manifest.docs.flatMap((doc, docIndex) =>
    doc.kind === "ConfigMap"
      ? []
      : [
          ...doc.containers.map((container, position) => ({ docIndex, workload: doc, list: "containers" as const, position, container })),
          ...doc.initContainers.map((container, position) => ({ docIndex, workload: doc, list: "initContainers" as const, position, container })),
        ],
  );
  return all[pick % all.length]!;
}

function toResourceChange(name: string, change: Change): ResourceChange {
  const pick = (group: Group) => Object.fromEntries(Object.entries(change[group]).filter(([, value]) => value !== undefined));
  return { container: name, requests: pick("requests"), limits: pick("limits") };
}

describe("property: edits change only the targeted values, in any style", () => {
  it("(a) reads back as the original with only the targets changed, (b) keeps every other line, (c) matches the model byte for byte, and is idempotent", () => {
    fc.assert(
      fc.property(manifestArbitrary, fc.nat(), changeArbitrary, (manifest, pick, change) => {
        const { text: before, lines } = render(manifest);
        const target = targetOf(manifest, pick);
        const resourceChange = toResourceChange(target.container.name, change);
        const outcome = editDocumentResources(before, { kind: target.workload.kind, name: target.workload.name }, [resourceChange]);
        if (!outcome.ok) throw new Error(`refused: ${outcome.refusal.message}\n${before}`);
        const after = outcome.text;

        // (a) the documents read back as before, with only the targeted values changed
        const originalJs = parseAllDocuments(before).map((document) => document.toJS());
        const expectedJs = applyToJs(originalJs, target.docIndex, target.workload.kind, target.list, target.position, target.container, change);
        const parsedAfter = parseAllDocuments(after);
        expect(parsedAfter.every((document) => document.errors.length === 0)).toBe(true);
        expect(parsedAfter.map((document) => document.toJS())).toEqual(expectedJs);

        // (b) every line outside the target container's resources block is byte-identical and in place
        // (its content: the last line of a file without a final newline gains a line break when keys follow it)
        const beforeLines = before.split(/\r?\n/);
        const kept = keptLines(beforeLines, after.split(/\r?\n/));
        const owner = `${target.docIndex}/${target.container.name}`;
        lines.forEach((line, index) => {
          if (line.owner !== owner) expect(kept.has(index), `line ${index + 1} changed: ${JSON.stringify(beforeLines[index])}`).toBe(true);
        });

        // (c) zero collateral bytes: the model rendered after the change is exactly the edited file
        const changed: Manifest = {
          ...manifest,
          docs: manifest.docs.map((doc, docIndex) => {
            if (docIndex !== target.docIndex || doc.kind === "ConfigMap") return doc;
            const update = (container: Container) => (container.name === target.container.name ? applyToContainer(container, change) : container);
            return { ...doc, containers: doc.containers.map(update), initContainers: doc.initContainers.map(update) };
          }),
        };
        expect(after).toBe(render(changed).text);

        // the same edit again changes nothing
        const again = editDocumentResources(after, { kind: target.workload.kind, name: target.workload.name }, [resourceChange]);
        expect(again).toEqual({ ok: true, text: after });

        // discovery + planWorkloadEdit make the same edit
        const discovered = discoverWorkloads([{ path: "manifest.yaml", text: before }]).workloads.find((workload) => workload.name === target.workload.name)!;
        const planned = planWorkloadEdit([{ path: "manifest.yaml", text: before }], discovered, [resourceChange]);
        expect(planned.ok && (planned.edits[0]?.after ?? before)).toBe(after);
      }),
      { numRuns: 400 },
    );
  });
});

describe("property: any text is handled without an exception", () => {
  const yamlish = fc.array(fc.constantFrom("kind: Deployment\n", "metadata: {name: w0}\n", "spec:\n", "  template:\n", "    spec:\n", "      containers:\n", "      - name: c0\n", "        resources: ", "{", "}", "[", "]", "&a ", "*a", "<<: ", "cpu: 1\n", "memory: '1Gi'\n", "---\n", "...\n", "# c\n", "\r\n", "\t", "{{ x }}", "|\n", "  ", "-", ":", "\"", "'", "?"), { maxLength: 40 }).map((parts) => parts.join(""));

  it("discovers and edits arbitrary YAML-like text, returning refusals rather than throwing", () => {
    fc.assert(
      fc.property(yamlish, (text) => {
        const discovery = discoverWorkloads([{ path: "x.yaml", text }]);
        for (const workload of discovery.workloads) {
          for (const container of workload.containers) planWorkloadEdit([{ path: "x.yaml", text }], workload, [{ container: container.name, requests: { cpu: "1" }, limits: { memory: null } }]);
        }
        editDocumentResources(text, { kind: "Deployment", name: "w0" }, [{ container: "c0", requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: null } }]);
      }),
      { numRuns: 1500 },
    );
  });
});
