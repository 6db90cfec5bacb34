/**
 * Manifest editor at scale: discovery and edits across a generated config repo (plain manifests
 * in many styles, kustomize bases with overlays and patches, Helm charts), then the collateral
 * bytes (bytes changed outside the targeted values) of this editor against the naive
 * `parseDocument().setIn().toString()` on the same edits. When the real-world corpus is next to
 * the repo (../shared/corpus), every container there is edited too.
 *
 *   npx tsx bench/manifests.bench.ts [files]        default: 5000
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document } from "yaml";
import { formatInStyleOf, parseQuantity, scaleQuantity } from "../src/domain/index.js";
import { random } from "./random.js";
import { discoverWorkloads, planWorkloadEdit, type DiscoveredContainer, type DiscoveredWorkload, type RepoFile, type ResourceChange, type YamlPath } from "../src/manifests/index.js";

const FILES = Number(process.argv[2] ?? 5000);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CORPUS = path.resolve(REPO_ROOT, "../shared/corpus");

// ---------- a generated config repo ----------


const rng = random(20250310);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const chance = (probability: number): boolean => rng() < probability;

function quoted(value: string): string {
  return pick([value, value, value, `"${value}"`, `'${value}'`]);
}

function resourcesBlock(pad: (n: number) => string, column: number, step: number): string[] {
  const style = pick(["block", "block", "block", "flow", "absent", "partial"]);
  const cpu = pick(["50m", "100m", "250m", "500m", "1", "2"]);
  const memory = pick(["64Mi", "128Mi", "256Mi", "1Gi", "512M"]);
  if (style === "absent") return [];
  if (style === "flow") return [`${pad(column)}resources: {requests: {cpu: ${cpu}, memory: ${memory}}, limits: {memory: ${memory}}}`];
  const lines = [`${pad(column)}resources:`, `${pad(column + step)}requests:`, `${pad(column + 2 * step)}cpu: ${quoted(cpu)}${chance(0.3) ? "   # p95 last month" : ""}`];
  if (style === "block") lines.push(`${pad(column + 2 * step)}memory: ${quoted(memory)}`, `${pad(column + step)}limits:`, `${pad(column + 2 * step)}memory: ${quoted(memory)}`);
  return lines;
}

function container(name: string, pad: (n: number) => string, dash: number, step: number): string[] {
  const key = dash + 2;
  const lines = [`${pad(dash)}- name: ${name}`, `${pad(key)}image: registry.example/${name}:${Math.floor(rng() * 20)}.${Math.floor(rng() * 10)}`];
  if (chance(0.5)) lines.push(`${pad(key)}# ${name} serves the public API`);
  if (chance(0.6)) lines.push(`${pad(key)}env:`, `${pad(key)}- name: LOG_LEVEL`, `${pad(key)}  value: info`, `${pad(key)}- name: REGION`, `${pad(key)}  value: eu-west-1`);
  if (chance(0.5)) lines.push(`${pad(key)}ports:`, `${pad(key)}- containerPort: 8080`, `${pad(key)}  name: http`);
  lines.push(...resourcesBlock(pad, key, step));
  if (chance(0.5)) lines.push(`${pad(key)}readinessProbe:`, `${pad(key + step)}httpGet: {path: /healthz, port: http}`, `${pad(key + step)}periodSeconds: 10`);
  return lines;
}

function workloadDocument(kind: string, name: string, namespace: string | undefined, step: number, seqIndented: boolean): string[] {
  const pad = (n: number): string => " ".repeat(n);
  const lines = [`apiVersion: ${kind === "CronJob" || kind === "Job" ? "batch/v1" : "apps/v1"}`, `kind: ${kind}`, "metadata:", `${pad(step)}name: ${name}`];
  if (namespace) lines.push(`${pad(step)}namespace: ${namespace}`);
  lines.push(`${pad(step)}labels:`, `${pad(2 * step)}app.kubernetes.io/name: ${name}`, "spec:");
  let column = step;
  if (kind === "CronJob") {
    lines.push(`${pad(step)}schedule: "0 3 * * *"`, `${pad(step)}jobTemplate:`, `${pad(2 * step)}spec:`);
    column = 3 * step;
  } else if (kind !== "Job") lines.push(`${pad(step)}replicas: ${1 + Math.floor(rng() * 5)}`);
  lines.push(`${pad(column)}template:`, `${pad(column + step)}metadata:`, `${pad(column + 2 * step)}labels: {app: ${name}}`, `${pad(column + step)}spec:`);
  const podColumn = column + 2 * step;
  lines.push(`${pad(podColumn)}containers:`);
  const dash = seqIndented ? podColumn + step : podColumn;
  const count = 1 + Math.floor(rng() * 3);
  for (let index = 0; index < count; index++) lines.push(...container(index === 0 ? name : `${name}-sidecar-${index}`, pad, dash, step));
  return lines;
}

function plainFile(index: number): string {
  const step = pick([2, 2, 2, 4]);
  const seqIndented = chance(0.5);
  const kind = pick(["Deployment", "Deployment", "Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"]);
  const name = `svc-${index}`;
  const documents = [[`# ${name}: owned by team-${index % 17}`, ...workloadDocument(kind, name, chance(0.7) ? `team-${index % 17}` : undefined, step, seqIndented)]];
  if (chance(0.4)) documents.push(["apiVersion: v1", "kind: Service", "metadata:", `  name: ${name}`, "spec:", "  ports:", "    - port: 80", "      targetPort: http"]);
  const eol = chance(0.1) ? "\r\n" : "\n";
  const text = documents.map((lines) => lines.join(eol)).join(`${eol}---${eol}`);
  return (chance(0.03) ? "\uFEFF" : "") + text + (chance(0.9) ? eol : "");
}

function kustomizeApp(index: number): RepoFile[] {
  const name = `app-${index}`;
  const root = `kustomize/${name}`;
  return [
    { path: `${root}/base/kustomization.yaml`, text: "resources:\n  - deployment.yaml\n  - service.yaml\n" },
    { path: `${root}/base/deployment.yaml`, text: `${workloadDocument("Deployment", name, undefined, 2, chance(0.5)).join("\n")}\n` },
    { path: `${root}/base/service.yaml`, text: `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  ports:\n    - port: 80\n` },
    {
      path: `${root}/overlays/prod/kustomization.yaml`,
      text: `namespace: prod\nnamePrefix: prod-\nresources:\n  - ../../base\npatches:\n  - path: resources.yaml\n  - target:\n      kind: Deployment\n      name: ${name}\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 4\n`,
    },
    {
      path: `${root}/overlays/prod/resources.yaml`,
      text: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${name}\n          resources:\n            requests:\n              cpu: 1   # production\n              memory: 2Gi\n`,
    },
    {
      path: `${root}/overlays/staging/kustomization.yaml`,
      text: `namespace: staging\nresources:\n- ../../base\npatchesStrategicMerge:\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: ${name}\n  spec:\n    template:\n      spec:\n        containers:\n        - name: ${name}\n          resources:\n            limits:\n              memory: 512Mi\n`,
    },
  ];
}

function helmChart(index: number): RepoFile[] {
  return [
    { path: `charts/chart-${index}/templates/deployment.yaml`, text: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "chart.fullname" . }}\nspec:\n  replicas: {{ .Values.replicas }}\n` },
    { path: `charts/chart-${index}/values.yaml`, text: `replicas: 2\nserver:\n  resources:\n    requests:\n      cpu: 100m\n      memory: 128Mi\n` },
  ];
}

function generateRepo(count: number): RepoFile[] {
  const files: RepoFile[] = [];
  for (let index = 0; files.length < count; index++) {
    const roll = rng();
    if (roll < 0.7) files.push({ path: `apps/team-${index % 17}/svc-${index}.yaml`, text: plainFile(index) });
    else if (roll < 0.95) files.push(...kustomizeApp(index));
    else if (roll < 0.98) files.push(...helmChart(index));
    else files.push({ path: `templates/stray-${index}.yaml`, text: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n` });
  }
  return files.slice(0, count);
}

// ---------- the edits ----------

/** What a recommender would write: 10% more CPU and 25% more memory, in the manifest's unit style. */
function changeFor(container: DiscoveredContainer): ResourceChange {
  const grow = (current: string | undefined, resource: "cpu" | "memory", fallback: string, factor: number): string =>
    formatInStyleOf(scaleQuantity(parseQuantity(current ?? fallback), factor), resource, current);
  const change: ResourceChange = {
    container: container.name,
    requests: { cpu: grow(container.requests.cpu, "cpu", "100m", 1.1), memory: grow(container.requests.memory, "memory", "128Mi", 1.25) },
  };
  if (container.limits.memory !== undefined) change.limits = { memory: grow(container.limits.memory, "memory", "256Mi", 1.25) };
  return change;
}

/** The naive editor: set each value through the document model and re-serialise the whole file. */
function naiveEdit(text: string, workload: DiscoveredWorkload, changes: ResourceChange[]): string | undefined {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return undefined;
  for (const change of changes) {
    const container = workload.containers.find((candidate) => candidate.name === change.container)!;
    for (const group of ["requests", "limits"] as const) {
      for (const resource of ["cpu", "memory"] as const) {
        const value = change[group]?.[resource];
        if (typeof value !== "string") continue;
        const target = container.definitions.filter((definition) => definition.field === `${group}.${resource}`).at(-1)?.location ?? extend(container.location, [group, resource]);
        if (target.inlinePatch || target.path !== workload.location.path) return undefined;
        documents[target.document]!.setIn(target.yamlPath, value);
      }
    }
  }
  return documents.map((document) => document.toString()).join("");
}

// ---------- collateral bytes ----------

type Range = [number, number];

/**
 * Where each targeted value is in a text: the scalar, or for a key that was added the whole new
 * entry (from the line break before it, or the ", " before a flow item, to its last character).
 */
function targetRanges(text: string, documents: Document.Parsed[], paths: { document: number; yamlPath: YamlPath; existed: YamlPath }[]): Range[] {
  const ranges: Range[] = [];
  for (const target of paths) {
    const document = documents[target.document];
    if (!document) continue;
    if (target.existed.length === target.yamlPath.length) {
      const range = (document.getIn(target.yamlPath, true) as { range?: [number, number, number] } | undefined)?.range;
      if (range) ranges.push([range[0], range[1]]);
      continue;
    }
    const pair = pairAt(document, target.yamlPath.slice(0, target.existed.length + 1));
    const key = pair && isScalar(pair.key) ? pair.key.range : undefined;
    const value = (pair?.value as { range?: [number, number, number] } | null | undefined)?.range;
    if (!key) continue;
    let start = key[0];
    while (start > 0 && " ,".includes(text[start - 1]!)) start--;
    if (text[start - 1] === "\n") start -= text[start - 2] === "\r" ? 2 : 1;
    let end = value ? value[1] : key[1];
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    ranges.push([start, end]);
  }
  return ranges;
}

function pairAt(document: Document.Parsed, path: YamlPath): { key: unknown; value: unknown } | undefined {
  let node: unknown = document.contents;
  let found: { key: unknown; value: unknown } | undefined;
  for (const key of path) {
    if (typeof key === "number") {
      node = isSeq(node) ? node.items[key] : undefined;
      found = undefined;
    } else {
      const pair = isMap(node) ? node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === key) : undefined;
      found = pair;
      node = pair?.value;
    }
    if (node === undefined) return undefined;
  }
  return found;
}

function existingPrefix(document: Document.Parsed | undefined, path: YamlPath): YamlPath {
  let node: unknown = document?.contents;
  const prefix: YamlPath = [];
  for (const key of path) {
    if (typeof key === "number") node = isSeq(node) ? node.items[key] : undefined;
    else node = isMap(node) ? node.items.find((item) => isScalar(item.key) && String(item.key.value) === key)?.value : undefined;
    if (node === undefined || node === null || (isScalar(node) && node.value === null && key !== path[path.length - 1])) break;
    prefix.push(key);
  }
  return prefix;
}

/** Each target range (touching ones merged) becomes one NUL, so only bytes outside targets can differ. */
function masked(text: string, ranges: Range[]): { text: string; targets: number } {
  const merged: Range[] = [];
  for (const range of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  let result = "";
  let cursor = 0;
  for (const [start, end] of merged) {
    result += `${text.slice(cursor, start)}\0`;
    cursor = end;
  }
  return { text: result + text.slice(cursor), targets: merged.length };
}

/**
 * Bytes changed outside the targeted values: the edit distance (characters deleted plus
 * inserted) between the two texts with every target masked, less one per added key.
 */
function collateralBytes(before: string, after: string, beforeTargets: Range[], afterTargets: Range[]): number {
  if (before === after) return 0;
  const a = masked(before, beforeTargets);
  const b = masked(after, afterTargets);
  return Math.max(0, editDistance(a.text, b.text) - Math.max(0, b.targets - a.targets));
}

/** Myers' O((N+M)·D) edit distance (insertions + deletions), on the part between the common prefix and suffix. */
function editDistance(first: string, second: string): number {
  let prefix = 0;
  while (prefix < first.length && prefix < second.length && first[prefix] === second[prefix]) prefix++;
  let suffix = 0;
  while (suffix < first.length - prefix && suffix < second.length - prefix && first[first.length - 1 - suffix] === second[second.length - 1 - suffix]) suffix++;
  const a = first.slice(prefix, first.length - suffix);
  const b = second.slice(prefix, second.length - suffix);
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const frontier = new Int32Array(2 * max + 3);
  for (let d = 0; d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && frontier[offset + k - 1]! < frontier[offset + k + 1]!) ? frontier[offset + k + 1]! : frontier[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) x++, y++;
      frontier[offset + k] = x;
      if (x >= n && y >= m) return d;
    }
  }
  return max;
}

interface EditRun {
  workloads: number;
  containers: number;
  refused: Map<string, number>;
  filesEdited: number;
  seconds: number;
  mine: number;
  /** The same edits that were also made naively: ours, and the naive editor's. */
  mineCompared: number;
  naive: number;
  compared: number;
  planned: { workload: DiscoveredWorkload; changes: ResourceChange[]; outcome: ReturnType<typeof planWorkloadEdit> }[];
}

/** Plans an edit of every container of every workload. */
function editAll(files: RepoFile[], workloads: DiscoveredWorkload[]): EditRun {
  const run: EditRun = { workloads: 0, containers: 0, refused: new Map(), filesEdited: 0, seconds: 0, mine: 0, mineCompared: 0, naive: 0, compared: 0, planned: [] };
  const started = performance.now();
  const outcomes = workloads.map((workload) => {
    const changes = workload.containers.map(changeFor);
    return { workload, changes, outcome: planWorkloadEdit(files, workload, changes) };
  });
  run.seconds = (performance.now() - started) / 1000;
  run.planned = outcomes;
  for (const { changes, outcome } of outcomes) {
    run.workloads++;
    run.containers += changes.length;
    if (outcome.ok) run.filesEdited += outcome.edits.length;
    else {
      const reason = outcome.refusal.message.replace(/"[^"]*"|\S+\.ya?ml|\d+/g, "…").slice(0, 120);
      run.refused.set(reason, (run.refused.get(reason) ?? 0) + 1);
    }
  }
  return run;
}

/** Collateral bytes of every planned edit, and of the naive editor on every `sampleEvery`-th single-file edit. */
function measureAll(run: EditRun, sampleEvery: number): EditRun {
  run.planned.forEach(({ workload, changes, outcome }, index) => {
    if (!outcome.ok) return;
    const collateral = outcome.edits.map((edit) => measure(edit.before, edit.after, edit.path, workload, changes));
    run.mine += collateral.reduce((a, b) => a + b, 0);
    const single = outcome.edits.length === 1 && outcome.edits[0]!.path === workload.location.path;
    if (index % sampleEvery !== 0 || !single) return;
    const edit = outcome.edits[0]!;
    const naive = naiveEdit(edit.before, workload, changes);
    if (naive === undefined) return;
    run.compared++;
    run.mineCompared += collateral[0]!;
    run.naive += measure(edit.before, naive, edit.path, workload, changes);
  });
  return run;
}

interface Target {
  document: number;
  yamlPath: YamlPath;
}

/**
 * Collateral bytes of one file edit; an inline kustomize patch is measured inside its string, and
 * its bytes outside it. A value another overlay shares goes where the editor puts it: the
 * workload's own patch, or a new patch file (all of it wanted) listed by one new line of its
 * kustomization (that line wanted, anything else collateral).
 */
function measure(before: string, after: string, file: string, workload: DiscoveredWorkload, changes: ResourceChange[]): number {
  if (before === "") return 0;
  if (file === workload.overlay?.kustomization) {
    const entry = /(\r?\npatches:)?\r?\n[ \t]*- path: [^\r\n]*-resources(-\d+)?\.yaml(?=\r?\n|$)|, \{path: [^}]*\}/.exec(after);
    if (entry) after = after.replace(entry[0], "");
    if (after === before) return 0;
  }
  const plain: Target[] = [];
  const inline = new Map<string, { outer: Target; inner: Target[] }>();
  for (const change of changes) {
    const container = workload.containers.find((candidate) => candidate.name === change.container)!;
    for (const group of ["requests", "limits"] as const) {
      for (const resource of ["cpu", "memory"] as const) {
        if (typeof change[group]?.[resource] !== "string") continue;
        const effective = container.definitions.filter((definition) => definition.field === `${group}.${resource}`).at(-1)?.location;
        const shared = (container.sharedFields[`${group}.${resource}`] ?? []).length > 0;
        if (shared && !container.ownPatch) continue;
        const location = shared ? extend(container.ownPatch!, [group, resource]) : (effective ?? extend(container.location, [group, resource]));
        if (location.path !== file) continue;
        if (!location.inlinePatch) {
          plain.push({ document: location.document, yamlPath: location.yamlPath });
          continue;
        }
        const key = JSON.stringify([location.document, location.yamlPath]);
        const entry = inline.get(key) ?? { outer: { document: location.document, yamlPath: location.yamlPath }, inner: [] };
        entry.inner.push(location.inlinePatch);
        inline.set(key, entry);
      }
    }
  }
  let total = measureText(before, after, [...plain, ...[...inline.values()].map((entry) => entry.outer)]);
  for (const { outer, inner } of inline.values()) {
    const innerBefore = stringAt(before, outer);
    const innerAfter = stringAt(after, outer);
    if (innerBefore !== undefined && innerAfter !== undefined) total += measureText(innerBefore, innerAfter, inner);
  }
  return total;
}

function extend(location: DiscoveredContainer["location"], keys: YamlPath): DiscoveredContainer["location"] {
  return location.inlinePatch
    ? { ...location, inlinePatch: { ...location.inlinePatch, yamlPath: [...location.inlinePatch.yamlPath, ...keys] } }
    : { ...location, yamlPath: [...location.yamlPath, ...keys] };
}

function stringAt(text: string, target: Target): string | undefined {
  const documents = parseAllDocuments(text) as Document.Parsed[];
  const value = documents[target.document]?.getIn(target.yamlPath);
  return typeof value === "string" ? value : undefined;
}

function measureText(before: string, after: string, targets: Target[]): number {
  const beforeDocuments = parseAllDocuments(before) as Document.Parsed[];
  const afterDocuments = parseAllDocuments(after) as Document.Parsed[];
  const located = targets.map((target) => ({ ...target, existed: existingPrefix(beforeDocuments[target.document], target.yamlPath) }));
  return collateralBytes(before, after, targetRanges(before, beforeDocuments, located), targetRanges(after, afterDocuments, located));
}

function editsDigest(run: EditRun): string {
  const hash = createHash("sha256");
  for (const { workload, outcome } of run.planned) {
    hash.update(`${workload.kind}/${workload.namespace ?? ""}/${workload.name}\0`);
    if (outcome.ok) for (const edit of outcome.edits) hash.update(`${edit.path}\0${edit.after}\0${edit.diff}\0`);
    else hash.update(`refused\0${outcome.refusal.message}\0${JSON.stringify(outcome.refusal)}\0`);
  }
  return hash.digest("hex");
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

function report(label: string, run: EditRun): void {
  console.log(`${label}: ${run.containers} containers of ${run.workloads} workloads, ${run.filesEdited} file edits, ${run.refused.size === 0 ? "none refused" : `${[...run.refused.values()].reduce((a, b) => a + b, 0)} refused`}`);
  for (const [reason, count] of run.refused) console.log(`  refused ×${count}: ${reason}`);
  console.log(`  collateral bytes over all ${run.filesEdited} file edits, this editor: ${run.mine}`);
  console.log(`  collateral bytes on the same ${run.compared} single-file edits: this editor ${run.mineCompared}, naive parseDocument().setIn().toString() ${run.naive}`);
}

// ---------- run ----------

const files = generateRepo(FILES);
const bytes = files.reduce((total, file) => total + file.text.length, 0);
console.log(`generated repo: ${files.length} files, ${megabytes(bytes)} of YAML`);

const timed = <T>(work: () => T): [T, number] => {
  const started = performance.now();
  const result = work();
  return [result, (performance.now() - started) / 1000];
};

/**
 * Discovery then planning, as `rightsize plan` does them, three times. Each run gets its own copy
 * of the file list, so nothing the editor keeps per checkout carries over from the run before.
 */
interface Run {
  discoverySeconds: number;
  planSeconds: number;
}
const runs: Run[] = [];
let firstRss: number | undefined;
let last: { discovery: ReturnType<typeof discoverWorkloads>; edits: EditRun } | undefined;
for (let index = 0; index < 3; index++) {
  last = undefined;
  const checkout = files.map((file) => ({ ...file }));
  const [discovery, discoverySeconds] = timed(() => discoverWorkloads(checkout));
  const edits = editAll(checkout, discovery.workloads);
  last = { discovery, edits };
  runs.push({ discoverySeconds, planSeconds: edits.seconds });
  // Peak memory of one discovery and planning, as a `plan` run has it (later runs add the earlier runs' garbage).
  firstRss ??= process.resourceUsage().maxRSS * 1024;
  console.log(`run ${index + 1}: discovery ${discoverySeconds.toFixed(2)} s, edit planning ${edits.seconds.toFixed(2)} s, together ${(discoverySeconds + edits.seconds).toFixed(2)} s`);
}
const best = [...runs].sort((a, b) => a.discoverySeconds + a.planSeconds - (b.discoverySeconds + b.planSeconds))[0]!;
const together = best.discoverySeconds + best.planSeconds;
const { discovery, edits } = last!;
console.log(`discovery: ${discovery.workloads.length} workloads, ${discovery.skipped.length} files skipped; ${best.discoverySeconds.toFixed(2)} s = ${Math.round(files.length / best.discoverySeconds)} files/s`);
console.log(`edit planning: ${best.planSeconds.toFixed(2)} s for ${edits.workloads} workloads, ${edits.filesEdited} files changed = ${Math.round(edits.filesEdited / best.planSeconds)} files/s`);
console.log(`discovery + edit planning, best of 3: ${best.discoverySeconds.toFixed(2)} s + ${best.planSeconds.toFixed(2)} s = ${together.toFixed(2)} s`);
console.log(`peak memory (RSS) during the first discovery and planning: ${megabytes(firstRss!)}`);
// Every planned edit and refusal, byte for byte: a change to the editor that should not change its output keeps this digest.
console.log(`discovery digest (sha256 of its JSON): ${createHash("sha256").update(JSON.stringify(discovery)).digest("hex")}`);
console.log(`edits digest (sha256 of every edit's path, text and diff, and every refusal): ${editsDigest(edits)}`);
report("edits", measureAll(edits, 1));
console.log(`discovery + planning of ${files.length} files under 5 s: ${together < 5 ? "yes" : "NO"}; zero collateral bytes: ${edits.mine === 0 ? "yes" : "NO"}`);

// ---------- the real-world corpus, when it is there ----------

if (!existsSync(CORPUS)) {
  console.log("corpus: corpus absent, skipped");
} else {
  const corpusFiles: RepoFile[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(CORPUS, relative), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (/\.ya?ml$/.test(entry.name)) corpusFiles.push({ path: child, text: readFileSync(path.join(CORPUS, child), "utf8") });
    }
  };
  walk("");
  // The corpus mixes three repositories and alternative layouts of the same apps, so the same
  // workload appears in several files; each file is discovered on its own to edit every container.
  const workloads: DiscoveredWorkload[] = [];
  const skipped: string[] = [];
  for (const file of corpusFiles) {
    const found = discoverWorkloads([file]);
    workloads.push(...found.workloads);
    skipped.push(...found.skipped.map((skip) => `${skip.path}: ${skip.reason}`));
  }
  console.log(`corpus (${path.relative(REPO_ROOT, CORPUS)}): ${corpusFiles.length} files, ${workloads.length} workloads${skipped.length ? `, skipped: ${skipped.join("; ")}` : ""}`);
  report("corpus edits", measureAll(editAll(corpusFiles, workloads), 1));
}
