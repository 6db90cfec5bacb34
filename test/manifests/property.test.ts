import { readdirSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { compareQuantities, isSameQuantity, parseQuantity, RefusalError } from "../../src/domain/index.js";
import { discoverWorkloads, editDocumentResources, planWorkloadEdit, type DiscoveredWorkload, type RepoFile, type ResourceChange } from "../../src/manifests/index.js";
import { repoFileFromBytes } from "../../src/pipeline/checkout/files.js";
import { FuzzTally, mutate, mutatedArbitrary, FUZZ_TIMEOUT_MS, PER_INPUT_MS, SECRET, secretGuarded, type Mutation } from "../helpers/mutations.js";
import { FIXTURES, fixture, fixtureRepo } from "./helpers.js";

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

/** The resource whose request the change would leave above its limit, if any (values as the model writes them). */
function requestAboveLimit(container: Container, change: Change): Resource | undefined {
  const written = (group: Group, name: Resource): string | undefined => {
    const resources = container.resources;
    if (resources.form !== "block" && resources.form !== "flow") return undefined;
    return resources.groups.find(([candidate]) => candidate === group)?.[1].values.find(([candidate]) => candidate === name)?.[1].text;
  };
  for (const name of ["cpu", "memory"] as const) {
    if (change.requests[name] === undefined && change.limits[name] === undefined) continue;
    const request = change.requests[name] === undefined ? written("requests", name) : change.requests[name];
    const limit = change.limits[name] === undefined ? written("limits", name) : change.limits[name];
    if (typeof request === "string" && typeof limit === "string" && compareQuantities(parseQuantity(request), parseQuantity(limit)) > 0) return name;
  }
  return undefined;
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
        // Kubernetes rejects a request above its limit: such an edit is refused, and only such an edit.
        const conflict = requestAboveLimit(target.container, change);
        if (conflict) {
          expect(!outcome.ok && outcome.refusal.message).toMatch(new RegExp(`^cannot set (requests|limits)\\.${conflict} of container .*Kubernetes rejects a request above its limit`));
          return;
        }
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

// ---------- fuzzing with mutations of the project's own fixtures (issue 11) ----------

const NEW_VALUES: ResourceChange = { container: "", requests: { cpu: "321m", memory: "123Mi" }, limits: { memory: "456Mi" } };

/** A mutated file as the readers give it: bytes that are not UTF-8 come with a problem, never as U+FFFD text. */
function asRepoFile(file: string, seed: string, mutations: Mutation[]): RepoFile {
  const mutated = mutate(seed, mutations);
  return mutated.bytes ? repoFileFromBytes(file, mutated.bytes) : { path: file, text: mutated.text };
}

function changeFor(container: string): ResourceChange {
  return { ...NEW_VALUES, container };
}

describe("fuzz: discovery and planned edits over mutated fixture repositories", () => {
  const repos = ["plain", "kustomize", "shared-bases"].map((name) => fixtureRepo(name));
  const tally = new FuzzTally("discovery + planWorkloadEdit");
  afterAll(() => tally.print());

  it("never throws, lists what it skips, and either makes an edit that reads back with the new values or refuses with the file named", () => {
    fc.assert(
      fc.property(fc.nat({ max: repos.length - 1 }), fc.nat(), fc.array(mutatedArbitrary([""]).map((arbitrary) => arbitrary.mutations), { minLength: 1, maxLength: 2 }), (repoIndex, pick, mutationSets) => {
        const repo = repos[repoIndex]!;
        const files = [...repo];
        mutationSets.forEach((mutations, index) => {
          const at = (pick + index * 7) % files.length;
          files[at] = asRepoFile(files[at]!.path, files[at]!.text, mutations);
        });
        const guarded = secretGuarded(files.map((file) => file.text));
        const started = performance.now();
        const discovery = discoverWorkloads(files);
        for (const skip of discovery.skipped) {
          expect(skip.reason).not.toBe("");
          if (guarded) expect(skip.reason).not.toContain(SECRET);
        }
        let outcome = "nothing to edit";
        const workload = discovery.workloads[pick % Math.max(discovery.workloads.length, 1)];
        const container = workload?.containers[pick % Math.max(workload.containers.length, 1)];
        if (workload && container) {
          const edited = planWorkloadEdit(files, workload, [changeFor(container.name)]);
          if (edited.ok) {
            outcome = "edited";
            expectNewValues(files, edited.edits, workload, container.name);
          } else {
            outcome = "refused";
            expect(edited.refusal).toBeInstanceOf(RefusalError);
            expect(edited.refusal.location.workload).toBe(`${workload.kind}/${workload.name}`);
            if (guarded) expect(edited.refusal.message).not.toContain(SECRET);
          }
        }
        const milliseconds = performance.now() - started;
        tally.record(outcome, milliseconds);
        expect(milliseconds).toBeLessThan(PER_INPUT_MS);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 2000) },
    );
  }, FUZZ_TIMEOUT_MS);
});

/** Discovered again from the edited files, the workload's container has exactly the new values. */
function expectNewValues(files: RepoFile[], edits: { path: string; after: string }[], workload: DiscoveredWorkload, container: string): void {
  const after = new Map(files.map((file) => [file.path, file]));
  for (const edit of edits) {
    expect(files.find((file) => file.path === edit.path)?.problem).toBeUndefined();
    after.set(edit.path, { path: edit.path, text: edit.after });
  }
  const again = discoverWorkloads([...after.values()]).workloads.find((candidate) => candidate.kind === workload.kind && candidate.name === workload.name && candidate.namespace === workload.namespace);
  const values = again?.containers.find((candidate) => candidate.name === container);
  expect(values, `${workload.kind}/${workload.name} is no longer discovered after its edit`).toBeDefined();
  expect(isSameQuantity(values!.requests.cpu ?? "", "321m") && isSameQuantity(values!.requests.memory ?? "", "123Mi") && isSameQuantity(values!.limits.memory ?? "", "456Mi")).toBe(true);
}

describe("fuzz: the single-file editor over mutated edit fixtures", () => {
  const names = readdirSync(path.join(FIXTURES, "edit")).sort();
  const seeds = [...names.map((name) => fixture("edit", name, "before.yaml")), ...readdirSync(path.join(FIXTURES, "refuse")).sort().map((name) => fixture("refuse", name))];
  // What each fixture holds, found once on the unmutated text: the targets the mutated files are edited for.
  const targets = seeds.map((text) =>
    discoverWorkloads([{ path: "f.yaml", text }]).workloads.flatMap((workload) => workload.containers.map((container) => ({ kind: workload.kind, name: workload.name, container: container.name }))),
  );
  const tally = new FuzzTally("editDocumentResources");
  afterAll(() => tally.print());

  it("either writes exactly the new values (checked against yaml's own reading) or refuses, leaving the text alone", () => {
    fc.assert(
      fc.property(mutatedArbitrary(seeds), fc.nat(), ({ seed, mutations }, pick) => {
        const candidates = targets[seed]!;
        const target = candidates.length > 0 ? candidates[pick % candidates.length]! : { kind: "Deployment", name: "web", container: "app" };
        const mutated = mutate(seeds[seed]!, mutations);
        if (mutated.bytes) {
          // The CLI refuses bytes that are not UTF-8 before the editor sees them (tested in hostile.test.ts).
          expect(repoFileFromBytes("f.yaml", mutated.bytes).problem).toMatch(/^is (not UTF-8 \(line \d+, column \d+\)|[\d.,]+ (bytes|MiB), more than the 1 MiB rightsize reads)/);
          tally.record("not UTF-8", 0);
          return;
        }
        const text = mutated.text;
        const started = performance.now();
        const outcome = editDocumentResources(text, { kind: target.kind, name: target.name }, [changeFor(target.container)]);
        const milliseconds = performance.now() - started;
        expect(milliseconds).toBeLessThan(PER_INPUT_MS);
        if (!outcome.ok) {
          expect(outcome.refusal).toBeInstanceOf(RefusalError);
          if (secretGuarded([text])) expect(outcome.refusal.message).not.toContain(SECRET);
          tally.record("refused", milliseconds);
          return;
        }
        tally.record(outcome.text === text ? "unchanged" : "edited", milliseconds);
        expectOnlyTargetChanged(text, outcome.text, target);
        expect(editDocumentResources(outcome.text, { kind: target.kind, name: target.name }, [changeFor(target.container)])).toEqual({ ok: true, text: outcome.text });
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 3000) },
    );
  }, FUZZ_TIMEOUT_MS);
});

type Data = Record<string, unknown>;

/**
 * yaml's own reading of both texts (not the editor's): the same documents, except that the
 * target container has the new values. Texts yaml cannot expand within a small alias budget are
 * compared by the idempotency check alone.
 */
function expectOnlyTargetChanged(before: string, after: string, target: { kind: string; name: string; container: string }): void {
  const read = (text: string): unknown[] | undefined => {
    try {
      const documents = parseAllDocuments(text, { uniqueKeys: false });
      if (!Array.isArray(documents) || documents.some((document) => document.errors.length > 0)) return undefined;
      return documents.map((document) => document.toJS({ maxAliasCount: 50 }) as unknown);
    } catch {
      return undefined;
    }
  };
  const original = read(before);
  const edited = read(after);
  expect(edited === undefined && original !== undefined, "the edited text does not parse").toBe(false);
  if (!original || !edited) return;
  expect(edited.length).toBe(original.length);
  // A workload document by Kubernetes' rules: the kind, its API group, and the name.
  const groups: Record<string, string[]> = { Deployment: ["apps", "extensions"], StatefulSet: ["apps"], DaemonSet: ["apps", "extensions"], ReplicaSet: ["apps", "extensions"], Job: ["batch"], CronJob: ["batch"], Rollout: ["argoproj.io"] };
  const isTarget = (document: unknown): boolean =>
    isObject(document) &&
    document.kind === target.kind &&
    (document.apiVersion === undefined || document.apiVersion === null || (typeof document.apiVersion === "string" && (groups[target.kind] ?? []).includes(document.apiVersion.includes("/") ? document.apiVersion.split("/")[0]! : ""))) &&
    isObject(document.metadata) &&
    document.metadata.name === target.name;
  const index = original.findIndex(isTarget);
  const reference = isObject(original[index]) && isObject((original[index] as Data).spec) ? ((original[index] as Data).spec as Data).workloadRef : undefined;
  const templateIndex = isObject(reference) ? original.findIndex((document) => isObject(document) && document.kind === reference.kind && isObject(document.metadata) && document.metadata.name === reference.name) : index;
  const podSpecPath = target.kind === "CronJob" && !isObject(reference) ? ["spec", "jobTemplate", "spec", "template", "spec"] : ["spec", "template", "spec"];
  const strip = (documents: unknown[]): unknown[] => {
    const copy = structuredClone(documents);
    let podSpec: unknown = copy[templateIndex];
    for (const key of podSpecPath) podSpec = isObject(podSpec) ? podSpec[key] : undefined;
    for (const list of ["containers", "initContainers"]) {
      const items = isObject(podSpec) && Array.isArray(podSpec[list]) ? (podSpec[list] as unknown[]) : [];
      for (const item of items) {
        if (!isObject(item) || item.name !== target.container) continue;
        const resources = isObject(item.resources) ? item.resources : {};
        const values = [
          ["requests", "cpu", "321m"],
          ["requests", "memory", "123Mi"],
          ["limits", "memory", "456Mi"],
        ] as const;
        if (documents === edited) for (const [group, name, value] of values) expect(isSameQuantity(String((resources[group] as Data | undefined)?.[name]), value)).toBe(true);
        for (const [group, name] of values) if (isObject(resources[group])) delete (resources[group] as Data)[name];
        // An empty or null group reads like no group: the editor fills `limits:` (null) as it fills a missing one.
        for (const group of ["requests", "limits"]) if (resources[group] === null || (isObject(resources[group]) && Object.keys(resources[group] as Data).length === 0)) delete resources[group];
        if (Object.keys(resources).length === 0) delete item.resources;
        else item.resources = resources;
      }
    }
    return copy;
  };
  expect(strip(edited)).toEqual(strip(original));
}

function isObject(value: unknown): value is Data {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
