import { isAlias, isMap, isScalar, isSeq } from "yaml";
import { posix } from "node:path";
import { compareQuantities, isQuantity, isSameQuantity, parseQuantity, RefusalError } from "../domain/index.js";
import { applySplices, type EditOperation, lineBreakOf, pairOf, type ParsedYaml, parseYaml, pathText, quoteShort, shortText, type Splice, spliceEdits, stringAt, type YamlDocument } from "../yaml/index.js";
import { applyToBody, literalBlockBody, outerSplices } from "./block-scalar.js";
import { RESOURCE_GROUPS, RESOURCE_NAMES } from "./containers.js";
import { unifiedDiff } from "./diff.js";
import type { DiscoveredContainer, DiscoveredWorkload, DocumentEditOutcome, EditOutcome, FileEdit, ManifestLocation, RepoFile, ResourceChange, ResourceField, YamlPath } from "./model.js";
import { renderedWorkload } from "./helm.js";
import { buildKustomization } from "./kustomize.js";
import { addPatchEntry, renderOverlayPatch, type OverlayValue } from "./overlay-patch.js";
import { checkoutOf, Repo } from "./repo.js";
import { newPatchPath } from "./sharing.js";
import { fileSource } from "./source.js";
import { sameDocuments, verifyEdit } from "./verify.js";
import { readWorkload, toDiscovered, type ReleaseState, type WorkloadState } from "./workloads.js";

/** One value to write or remove, at the place that defines it, with what a refusal should say. */
interface PlannedOperation {
  location: ManifestLocation;
  operation: EditOperation;
  container: string;
  field: ResourceField;
  verb: "set" | "remove";
}

/** Edits in one piece of YAML: a whole file, or an inline patch inside a file. */
interface Scope {
  path: string;
  inline?: { document: number; yamlPath: YamlPath };
  planned: PlannedOperation[];
}

class Refused {
  constructor(readonly error: RefusalError) {}
}

/**
 * SPEC §3: sets or removes resource values of a discovered workload where each effective value is
 * defined (the last kustomize patch that sets it, else the base), adding missing keys to the
 * container's `resources`. Files that do not change get no entry. A refusal changes nothing.
 */
export function planWorkloadEdit(files: RepoFile[], workload: DiscoveredWorkload, changes: ResourceChange[]): EditOutcome {
  try {
    const reader = new Reader(checkoutOf(files));
    const overrides: Override[] = [];
    const planned = changes.flatMap((change) => planChange(workload, change, overrides));
    // A linear lookup per touched file, not an index of the whole checkout: a workload touches few files.
    const scopes = new Map<string, Scope>();
    for (const item of planned) {
      const inline = item.location.inlinePatch ? { document: item.location.document, yamlPath: item.location.yamlPath } : undefined;
      const key = JSON.stringify([item.location.path, inline ?? null]);
      let scope = scopes.get(key);
      if (!scope) {
        scope = { path: item.location.path, ...(inline ? { inline } : {}), planned: [] };
        scopes.set(key, scope);
      }
      scope.planned.push(item);
    }
    const edits: FileEdit[] = [];
    for (const path of new Set([...scopes.values()].map((scope) => scope.path))) {
      const before = reader.checkout.textOf(path);
      if (before === undefined) throw refusal(workload, `${path} is not among the files given to the editor`, path);
      const problem = reader.checkout.problemOf(path);
      if (problem !== undefined) throw refusal(workload, `cannot edit ${describe(workload)}: ${path} ${problem}`, path);
      const after = editFile(reader, workload, path, before, [...scopes.values()].filter((scope) => scope.path === path));
      if (after !== before) edits.push({ path, before, after, diff: unifiedDiff(path, before, after) });
    }
    const newPatch = overrides.filter((override) => override.inNewPatch);
    if (newPatch.length > 0) addOverlayPatch(reader, workload, edits, newPatch);
    if (overrides.length > 0) verifyOverrides(reader, workload, edits, overrides);
    return { ok: true, edits };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, refusal: error.error };
    throw error;
  }
}

/**
 * Parses for one plan of a workload: a file as it is comes from the checkout discovery read (parsed
 * there once), an edited text is parsed once and that parse serves every later check of it (the
 * read-back, the inline patches, the overlay built again).
 */
class Reader {
  /** Texts read for this plan only (edited ones); handed to the overlay's rebuild, which reads them again. */
  readonly byText = new Map<string, ParsedYaml>();

  constructor(readonly checkout: Repo) {}

  /** The parse of a file's current text, or of a text; `path` names the file the text may still be. */
  parse(text: string, path?: string): ParsedYaml {
    if (path !== undefined && this.checkout.problemOf(path) === undefined) {
      const kept = this.checkout.parse(path);
      if (kept?.text === text) return kept;
    }
    let parsed = this.byText.get(text) ?? this.checkout.parsedText(text);
    if (!parsed) {
      parsed = parseYaml(text);
      this.byText.set(text, parsed);
    }
    return parsed;
  }

}

/** A value another environment shares, set for this workload in its own patch (existing, or new). */
interface Override {
  container: DiscoveredContainer;
  field: ResourceField;
  value: string;
  /** The patch file that must end up defining the value. */
  path: string;
  inNewPatch: boolean;
}

/**
 * The `rightsize edit` case: one file, a workload named by kind, name and (optionally) namespace.
 * Kustomize is not followed here; the named document is edited.
 */
export function editDocumentResources(text: string, target: { kind: string; name: string; namespace?: string }, changes: ResourceChange[]): DocumentEditOutcome {
  const parsed = parseYaml(text);
  const label = `${target.kind} ${quoteShort(target.name)}`;
  if (parsed.problem) return { ok: false, refusal: new RefusalError(`cannot edit ${label}: the file ${parsed.problem.message}`, { line: parsed.problem.line }) };
  const source = fileSource("", text, parsed.documents, parsed.lines, "manifest");
  const workloads = parsed.documents.map((_, index) => readWorkload(source, index)).filter((workload): workload is WorkloadState => workload !== undefined);
  const matches = workloads.filter(
    (workload) => workload.kind === target.kind && workload.name === target.name && (target.namespace === undefined || workload.namespace === undefined || workload.namespace === target.namespace),
  );
  if (matches.length === 0) {
    const present = workloads.slice(0, 10).map((workload) => `${workload.kind}/${shortText(workload.name)}`).join(", ") + (workloads.length > 10 ? `, and ${workloads.length - 10} more` : "");
    return { ok: false, refusal: new RefusalError(`no ${label}${target.namespace ? ` in namespace ${shortText(target.namespace)}` : ""} in this file${present ? ` (it has ${present})` : " (it has no workloads)"}`) };
  }
  if (matches.length > 1) {
    const lines = matches.map((workload) => workload.location.line).join(" and ");
    return { ok: false, refusal: new RefusalError(`${label} is defined twice in this file (lines ${lines}); remove one of them first`, { line: matches[1]!.location.line }) };
  }
  let workload = matches[0]!;
  if (workload.problem) return { ok: false, refusal: new RefusalError(`cannot edit ${label}: ${workload.problem}`, { line: workload.location.line }) };
  if (workload.workloadRef) {
    const reference = workload.workloadRef;
    const referenced = workloads.find((candidate) => candidate.kind === reference.kind && candidate.name === reference.name);
    if (!referenced) {
      return { ok: false, refusal: new RefusalError(`${label} takes its pod template from ${shortText(reference.kind)} ${quoteShort(reference.name)} (workloadRef), which is not in this file; edit the file that defines it`, { line: workload.location.line }) };
    }
    if (referenced.problem) return { ok: false, refusal: new RefusalError(`cannot edit ${label} through ${shortText(reference.kind)} ${quoteShort(reference.name)}: ${referenced.problem}`, { line: referenced.location.line }) };
    workload = { ...workload, containers: referenced.containers };
  }
  const discovered = toDiscovered(workload, workload.namespace);
  const aboveLimit = requestAboveLimit(discovered, changes);
  if (aboveLimit) return { ok: false, refusal: aboveLimit };
  const outcome = planWorkloadEdit([{ path: "", text }], discovered, changes);
  if (!outcome.ok) return outcome;
  return { ok: true, text: outcome.edits[0]?.after ?? text };
}

/**
 * Kubernetes rejects a container whose request is above its limit: an edit that would leave one
 * so (a new request over the limit it keeps, or a new limit under the request it keeps) is refused
 * with both values, before any byte is changed.
 */
function requestAboveLimit(workload: DiscoveredWorkload, changes: readonly ResourceChange[]): RefusalError | undefined {
  for (const change of changes) {
    const container = workload.containers.find((candidate) => candidate.name === change.container);
    if (!container) continue;
    for (const name of RESOURCE_NAMES) {
      const requestChange = change.requests?.[name];
      const limitChange = change.limits?.[name];
      if (requestChange === undefined && limitChange === undefined) continue;
      const request = requestChange === undefined ? container.requests[name] : requestChange;
      const limit = limitChange === undefined ? container.limits[name] : limitChange;
      if (request == null || limit == null || !isQuantity(request) || !isQuantity(limit)) continue;
      if (compareQuantities(parseQuantity(request), parseQuantity(limit)) <= 0) continue;
      const field = (group: string): string => `${group}.${name}`;
      const message =
        requestChange !== undefined
          ? `cannot set ${field("requests")} of container ${quoteShort(container.name)} in ${describe(workload)} to ${request}: it is above ${limitChange === undefined ? "the container's" : "the new"} ${field("limits")} (${limit}), and Kubernetes rejects a request above its limit; set ${field("limits")} to at least ${request} as well, or request at most ${limit}`
          : `cannot set ${field("limits")} of container ${quoteShort(container.name)} in ${describe(workload)} to ${limit}: it is below the container's ${field("requests")} (${request}), and Kubernetes rejects a request above its limit; set ${field("limits")} to at least ${request}, or lower ${field("requests")} as well`;
      const changedField = requestChange !== undefined ? field("requests") : field("limits");
      const line = container.definitions.filter((definition) => definition.field === changedField).at(-1)?.location.line ?? container.location.line;
      return new RefusalError(message, { ...(line === undefined ? {} : { line }), workload: `${workload.kind}/${shortText(workload.name)}` });
    }
  }
  return undefined;
}

function planChange(workload: DiscoveredWorkload, change: ResourceChange, overrides: Override[]): PlannedOperation[] {
  const container = workload.containers.find((candidate) => candidate.name === change.container);
  if (!container) {
    const names = workload.containers.map((candidate) => shortText(candidate.name)).join(", ");
    throw refusal(workload, `${describe(workload)} has no container ${quoteShort(change.container)}${names ? ` (it has ${names})` : ""}`, workload.location.path, workload.location.line);
  }
  const planned: PlannedOperation[] = [];
  for (const group of RESOURCE_GROUPS) {
    for (const name of RESOURCE_NAMES) {
      const value = change[group]?.[name];
      if (value === undefined) continue;
      const field: ResourceField = `${group}.${name}`;
      if (value === null) planned.push(...planRemoval(workload, container, field));
      else {
        parseQuantity(value, `${container.name} ${field}`);
        const operation = planSet(workload, container, field, value, overrides);
        if (operation) planned.push(operation);
      }
    }
  }
  return planned;
}

/**
 * Where a new value goes: the effective definition, else the container's last `resources`
 * mapping. A value another environment reads there (SPEC §3: a base two overlays build) is set
 * in this workload's own patch instead, or in a new patch of its own overlay; with neither, the
 * edit is refused with the list of sharers. Returns undefined when the value goes into a new patch.
 */
function planSet(workload: DiscoveredWorkload, container: DiscoveredContainer, field: ResourceField, value: string, overrides: Override[]): PlannedOperation | undefined {
  const definitions = container.definitions.filter((definition) => definition.field === field);
  const effective = definitions[definitions.length - 1];
  const [group, name] = field.split(".") as [string, string];
  const sharers = container.sharedFields[field] ?? [];
  if (sharers.length > 0) {
    if (container.ownPatch) {
      overrides.push({ container, field, value, path: container.ownPatch.path, inNewPatch: false });
      return { location: extend(container.ownPatch, [group, name]), operation: { kind: "set", document: 0, yamlPath: [], value }, container: container.name, field, verb: "set" };
    }
    if (workload.overlay) {
      overrides.push({ container, field, value, path: "", inNewPatch: true });
      return undefined;
    }
    throw sharedRefusal(workload, container, field, "set", sharers);
  }
  if (effective && effective.value === null && effective.location.origin === "json6902-patch" && typeof innerPath(effective.location).at(-1) === "number") {
    throw refusal(workload, `cannot set ${field} of container ${quoteShort(container.name)}: a JSON6902 "remove" operation in ${effective.location.path} deletes it; change that patch by hand`, effective.location.path, effective.location.line);
  }
  const location = effective?.location ?? extend(container.location, [group, name]);
  return { location, operation: { kind: "set", document: 0, yamlPath: [], value }, container: container.name, field, verb: "set" };
}

function sharedRefusal(workload: DiscoveredWorkload, container: DiscoveredContainer, field: ResourceField, verb: "set" | "remove", sharers: readonly string[]): Refused {
  const definitions = container.definitions.filter((definition) => definition.field === field);
  const place = definitions[definitions.length - 1]?.location ?? container.location;
  const where = `${place.path}${place.line === undefined ? "" : `:${place.line}`}`;
  const fix = verb === "set" ? "give it its own value in a patch of its own overlay (or its own values file), then propose again" : "remove it by hand where each environment wants it gone";
  return refusal(
    workload,
    `cannot ${verb} ${field} of container ${quoteShort(container.name)} for ${describe(workload)} alone: ${where} is also read by ${sharers.join(", ")}; ${fix}`,
    place.path,
    place.line,
  );
}

/** Removing a value means removing every definition that would show through once the effective one is gone. */
function planRemoval(workload: DiscoveredWorkload, container: DiscoveredContainer, field: ResourceField): PlannedOperation[] {
  const sharers = container.sharedRemovals[field] ?? [];
  if (sharers.length > 0) throw sharedRefusal(workload, container, field, "remove", sharers);
  const definitions = container.definitions.filter((definition) => definition.field === field);
  const lastAbsent = definitions.map((definition) => definition.value).lastIndexOf(null);
  const visible = definitions.slice(lastAbsent + 1);
  const jsonPatch = visible.find((definition) => definition.location.origin === "json6902-patch");
  if (jsonPatch) {
    throw refusal(workload, `cannot remove ${field} of container ${quoteShort(container.name)}: a JSON6902 operation in ${jsonPatch.location.path} sets it; remove that operation by hand`, jsonPatch.location.path, jsonPatch.location.line);
  }
  return visible.map((definition) => ({
    location: definition.location,
    operation: { kind: "remove", document: 0, yamlPath: [], collapse: 2 },
    container: container.name,
    field,
    verb: "remove" as const,
  }));
}

/**
 * Writes the values in a new patch next to the workload's kustomization and lists it there. The
 * kustomization may already have been edited (an inline patch): the entry is added to that text.
 */
function addOverlayPatch(reader: Reader, workload: DiscoveredWorkload, edits: FileEdit[], overrides: Override[]): void {
  const overlay = workload.overlay!;
  const kustomization = overlay.kustomization;
  const existing = edits.find((edit) => edit.path === kustomization);
  const original = reader.checkout.textOf(kustomization);
  if (original === undefined || reader.checkout.problemOf(kustomization) !== undefined) throw refusal(workload, `${kustomization} is not among the files given to the editor`, kustomization);
  const current = existing?.after ?? original;
  const taken = (path: string): boolean => reader.checkout.has(path) || edits.some((edit) => edit.path === path);
  const patchPath = newPatchPath(kustomization, overlay.patch.kind, overlay.patch.name, taken);
  const values: OverlayValue[] = overrides.map((override) => ({
    container: override.container.name,
    list: override.container.role === "container" ? "containers" : "initContainers",
    field: override.field,
    value: override.value,
  }));
  const content = renderOverlayPatch(overlay.patch, values, lineBreakOf(current));
  const entry = posix.relative(posix.dirname(kustomization), patchPath);
  const added = addPatchEntry(current, entry, (text) => reader.parse(text, text === original ? kustomization : undefined));
  if ("problem" in added) {
    throw refusal(workload, `cannot add a patch of its own to ${kustomization} for ${describe(workload)}: the kustomization ${added.problem}; give it its own patch by hand`, kustomization);
  }
  if (existing) {
    existing.after = added.text;
    existing.diff = unifiedDiff(kustomization, existing.before, added.text);
  } else edits.push({ path: kustomization, before: original, after: added.text, diff: unifiedDiff(kustomization, original, added.text) });
  edits.push({ path: patchPath, before: "", after: content, diff: unifiedDiff(patchPath, "", content, { newFile: true }) });
  for (const override of overrides) override.path = patchPath;
}

/**
 * After the edit, the overlay is built again from the edited files: every overridden value must
 * now be the effective one, defined in this workload's own patch. A later patch, a component or
 * a JSON6902 operation that would still win is caught here, and the edit refused.
 */
function verifyOverrides(reader: Reader, workload: DiscoveredWorkload, edits: readonly FileEdit[], overrides: readonly Override[]): void {
  const kustomization = workload.kustomization;
  const stop = (reason: string): never => {
    throw refusal(workload, `cannot set the shared values of ${describe(workload)} in its own patch: ${reason}; set them by hand`, kustomization ?? workload.location.path);
  };
  if (kustomization === undefined) return stop("it is not built by a kustomization");
  // Only the edited files are read again (their read-back parses); the rest of the overlay keeps the checkout's.
  const repo = new Repo(
    edits.map((edit) => {
      const parsed = reader.byText.get(edit.after);
      return { path: edit.path, text: edit.after, ...(parsed ? { parsed } : {}) };
    }),
    reader.checkout,
    reader.byText,
  );
  const build = buildKustomization(repo, kustomization);
  const discovered = workload.helmRelease ? rebuiltRelease(repo, build.releases, kustomization, workload, stop) : rebuiltWorkload(build.workloads, kustomization, workload, stop);
  for (const override of overrides) {
    const container = discovered.containers.find((candidate) => candidate.name === override.container.name);
    const effective = container?.definitions.filter((definition) => definition.field === override.field && definition.effective)[0];
    if (!effective || effective.value === null || !isSameQuantity(effective.value, override.value) || effective.location.path !== override.path) {
      stop(`${override.field} of container ${quoteShort(override.container.name)} would still come from ${effective ? effective.location.path : "nowhere"}`);
    }
  }
}

function rebuiltWorkload(built: readonly WorkloadState[], kustomization: string, workload: DiscoveredWorkload, stop: (reason: string) => never): DiscoveredWorkload {
  const rebuilt = built.find((candidate) => candidate.kind === workload.kind && candidate.name === workload.name && (candidate.namespace === undefined || workload.namespace === undefined || candidate.namespace === workload.namespace));
  if (!rebuilt) return stop(`${kustomization} no longer builds it`);
  const reference = rebuilt.workloadRef;
  const template = reference ? built.find((candidate) => candidate.kind === reference.kind && (candidate.name === reference.name || candidate.names.includes(reference.name))) : rebuilt;
  if (!template || template.problem) return stop(`${kustomization} does not build it cleanly after the edit`);
  return toDiscovered(template, template.namespace);
}

/** The HelmRelease's values as the kustomization renders them after the edit, for the containers the workload's targets size. */
function rebuiltRelease(repo: Repo, releases: readonly ReleaseState[], kustomization: string, workload: DiscoveredWorkload, stop: (reason: string) => never): DiscoveredWorkload {
  const { name, namespace, values } = workload.helmRelease!;
  const release = releases.find((candidate) => candidate.name === name && (candidate.namespace === undefined || namespace === undefined || candidate.namespace === namespace));
  if (!release) return stop(`${kustomization} no longer renders the HelmRelease ${quoteShort(name)}`);
  const rendered = renderedWorkload(repo, { root: kustomization, release }, workload, Object.entries(values).map(([container, path]) => ({ name: container, values: path })));
  if (typeof rendered === "string" || rendered.problem) return stop(`${kustomization} does not render it cleanly after the edit`);
  return toDiscovered(rendered, rendered.namespace);
}

function editFile(reader: Reader, workload: DiscoveredWorkload, path: string, before: string, scopes: Scope[]): string {
  const parsed = reader.parse(before, path);
  if (parsed.problem) throw refusal(workload, `cannot edit ${describe(workload)}: ${path || "the file"} ${parsed.problem.message}`, path, parsed.problem.line);
  const splices: Splice[] = [];
  const outerOperations: EditOperation[] = [];
  const inlineValues: { document: number; yamlPath: YamlPath; expected: string }[] = [];
  for (const scope of scopes) {
    if (!scope.inline) {
      const operations = scope.planned.map((item) => bind(item, item.location.document, item.location.yamlPath));
      checkContainers(workload, parsed, scope.planned, path);
      splices.push(...spliceScope(workload, parsed, scope.planned, operations, path, (offset) => parsed.lines.lineOf(offset)));
      outerOperations.push(...operations);
      continue;
    }
    const { document, yamlPath } = scope.inline;
    const node = nodeAt(parsed.documents[document], yamlPath);
    const line = isScalar(node) && node.range ? parsed.lines.lineOf(node.range[0]) : undefined;
    if (!isScalar(node) || typeof node.value !== "string") throw refusal(workload, `the inline patch at ${pathText(yamlPath)} in ${path} is no longer there; discover the workloads again`, path, line);
    const body = literalBlockBody(before, node);
    if (typeof body === "string") throw refusal(workload, `cannot edit the inline patch at ${pathText(yamlPath)} in ${path}: ${body}`, path, line);
    const inner = reader.parse(body.inner);
    if (inner.problem) throw refusal(workload, `cannot edit the inline patch at ${pathText(yamlPath)} in ${path}: it ${inner.problem.message}`, path, line);
    const firstBodyLine = (line ?? 0) + 1;
    const operations = scope.planned.map((item) => bind(item, item.location.inlinePatch!.document, item.location.inlinePatch!.yamlPath));
    checkContainers(workload, inner, scope.planned, path);
    const innerSplices = spliceScope(workload, inner, scope.planned, operations, path, (offset) => firstBodyLine + inner.lines.lineOf(offset) - 1);
    const edited = applyToBody(body, innerSplices);
    const problem = edited === undefined ? "two changes overlap" : verifyEdit(inner.documents, reader.parse(edited), operations);
    if (problem !== undefined) throw refusal(workload, `the edit of the inline patch in ${path} was stopped: ${problem}`, path, line);
    splices.push(...outerSplices(body, innerSplices));
    inlineValues.push({ document, yamlPath, expected: edited! });
  }
  const after = applySplices(before, splices);
  const readBack = after === undefined ? undefined : reader.parse(after);
  const problem = readBack === undefined ? "two changes overlap" : verifyEdit(parsed.documents, readBack, outerOperations, inlineValues) ?? verifyInlineValues(reader, readBack, inlineValues);
  if (problem !== undefined) throw refusal(workload, `the edit of ${path || "the file"} was stopped: ${problem}`, path);
  return after!;
}

function spliceScope(workload: DiscoveredWorkload, parsed: ParsedYaml, planned: PlannedOperation[], operations: EditOperation[], path: string, lineOf: (offset: number) => number): Splice[] {
  const result = spliceEdits(parsed.text, parsed.documents, operations);
  if (Array.isArray(result)) return result;
  // Name the value that cannot be edited: try each change on its own.
  for (const [index, operation] of operations.entries()) {
    const alone = spliceEdits(parsed.text, parsed.documents, [operation]);
    if (!Array.isArray(alone)) {
      const item = planned[index]!;
      const line = alone.offset === undefined ? item.location.line : lineOf(alone.offset);
      throw refusal(workload, `cannot ${item.verb} ${item.field} of container ${quoteShort(item.container)} in ${describe(workload)}: ${alone.message}`, path, line);
    }
  }
  throw refusal(workload, `cannot edit ${describe(workload)}: ${result.message}`, path, result.offset === undefined ? undefined : lineOf(result.offset));
}

/** The second parse of the inline patch string must equal the inner text the edit produced. */
function verifyInlineValues(reader: Reader, parsed: ParsedYaml, inlineValues: { document: number; yamlPath: YamlPath; expected: string }[]): string | undefined {
  for (const value of inlineValues) {
    const node = nodeAt(parsed.documents[value.document], value.yamlPath);
    const written = isScalar(node) && typeof node.value === "string" ? reader.parse(node.value) : undefined;
    const expected = reader.parse(value.expected);
    if (!written || written.problem || expected.problem || !sameDocuments(expected.documents, written.documents)) return "the inline patch would not read back as edited";
  }
  return undefined;
}

/** Guards against stale discovery: the container at a recorded index must still have the same name. */
function checkContainers(workload: DiscoveredWorkload, parsed: ParsedYaml, planned: PlannedOperation[], path: string): void {
  for (const item of planned) {
    const yamlPath = innerPath(item.location);
    const document = item.location.inlinePatch ? item.location.inlinePatch.document : item.location.document;
    for (let index = 0; index + 1 < yamlPath.length; index++) {
      if ((yamlPath[index] !== "containers" && yamlPath[index] !== "initContainers") || typeof yamlPath[index + 1] !== "number") continue;
      const yamlDocument = parsed.documents[document];
      const node = nodeAt(yamlDocument, yamlPath.slice(0, index + 2));
      const name = yamlDocument && isMap(node) ? stringAt(yamlDocument, node, "name") : undefined;
      if (name !== item.container) {
        throw refusal(workload, `${path || "the file"} changed since it was discovered: ${pathText(yamlPath.slice(0, index + 2))} is no longer container ${quoteShort(item.container)}; discover the workloads again`, path, item.location.line);
      }
    }
  }
}

function bind(item: PlannedOperation, document: number, yamlPath: YamlPath): EditOperation {
  return { ...item.operation, document, yamlPath };
}

function innerPath(location: ManifestLocation): YamlPath {
  return location.inlinePatch ? location.inlinePatch.yamlPath : location.yamlPath;
}

function extend(location: ManifestLocation, keys: YamlPath): ManifestLocation {
  return location.inlinePatch
    ? { ...location, inlinePatch: { ...location.inlinePatch, yamlPath: [...location.inlinePatch.yamlPath, ...keys] } }
    : { ...location, yamlPath: [...location.yamlPath, ...keys] };
}

/** The node at a path without following aliases (the byte layer refuses those with a reason). */
function nodeAt(document: YamlDocument | undefined, path: YamlPath): unknown {
  let node: unknown = document?.contents;
  for (const key of path) {
    if (isAlias(node)) return undefined;
    if (typeof key === "number") node = isSeq(node) ? node.items[key] : undefined;
    else node = isMap(node) ? pairOf(node, key)?.value : undefined;
  }
  return node;
}

function describe(workload: DiscoveredWorkload): string {
  return `${workload.kind} ${workload.namespace ? `${shortText(workload.namespace)}/` : ""}${shortText(workload.name)}`;
}

function refusal(workload: DiscoveredWorkload, message: string, path: string, line?: number): Refused {
  return new Refused(
    new RefusalError(message, {
      ...(path ? { file: path } : {}),
      ...(line === undefined ? {} : { line }),
      workload: `${workload.kind}/${shortText(workload.name)}`,
    }),
  );
}

