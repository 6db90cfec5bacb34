import { realpath } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { InputError, parseQuantity, readTextFileBounded, realTargetWithin, repositoryRootOf, UsageError, WORKLOAD_KINDS, writeFileAtomically, type WorkloadKind } from "../../domain/index.js";
import { editDocumentResources, unifiedDiff, type ResourceChange } from "../../manifests/index.js";
import { formatBytes, formatSize, YAML_BOUNDS } from "../../yaml/index.js";

interface EditOptions {
  kind: string;
  name: string;
  namespace?: string;
  container: string;
  cpuRequest?: string;
  memoryRequest?: string;
  cpuLimit?: string;
  memoryLimit?: string;
  write?: boolean;
  diff?: boolean;
}

export function register(program: Command): void {
  program
    .command("edit")
    .description(
      "Set CPU/memory requests or limits of one container in a manifest file, changing only those values' bytes. Prints the edited file (or its diff, or writes it). Exit 2 with the reason when the edit is refused.",
    )
    .argument("<file>", "the manifest file (plain, multi-document YAML)")
    .requiredOption("--kind <kind>", `workload kind: ${WORKLOAD_KINDS.join(", ")}`)
    .requiredOption("--name <name>", "workload name (metadata.name)")
    .option("--namespace <namespace>", "workload namespace, when the file holds the same name in several namespaces")
    .requiredOption("--container <name>", "container (or init container) to change")
    .option("--cpu-request <quantity>", "new CPU request, e.g. 250m")
    .option("--memory-request <quantity>", "new memory request, e.g. 256Mi")
    .option("--cpu-limit <quantity>", "new CPU limit")
    .option("--memory-limit <quantity>", "new memory limit")
    .option("--write", "write the edited file in place (atomically) instead of printing it")
    .option("--diff", "print a unified diff instead of the edited file")
    .action(async (file: string, options: EditOptions) => {
      const kind = workloadKind(options.kind);
      const change = resourceChange(options);
      const { text: before, target, root } = await readManifest(file);
      const outcome = editDocumentResources(before, { kind, name: options.name, ...(options.namespace ? { namespace: options.namespace } : {}) }, [change]);
      if (!outcome.ok) {
        // A refused edit is an input problem for this command (exit 2), and the file stays untouched.
        const line = outcome.refusal.location.line;
        throw new InputError(outcome.refusal.message.replace(/\s*\n\s*/g, " "), { file, ...(line === undefined ? {} : { line }) });
      }
      const after = outcome.text;
      // Through a symbolic link that stays in the repository, the file it points to is written; the link stays.
      if (options.write && after !== before) await writeFileAtomically(target, after, "the edited manifest");
      if (options.diff) process.stdout.write(unifiedDiff(await diffPath(root, target), before, after));
      else if (!options.write) process.stdout.write(after);
    });
}

/**
 * The manifest, read within the bounds and strictly as UTF-8: a file that is not is refused, so
 * no byte of it is ever rewritten. A symbolic link is read (and written, by --write) through,
 * but only when it stays inside the repository around the file (or, outside a repository, the
 * file's directory): a checkout's link must not make rightsize read or replace a file elsewhere.
 */
async function readManifest(file: string): Promise<{ text: string; target: string; root: string }> {
  const root = await repositoryRootOf(file, path.dirname(path.resolve(file)));
  const target = await realTargetWithin(root, file);
  if (target === undefined) {
    throw new InputError(`${file}: is a symbolic link to a file outside ${root}; edit the file it points to instead`, { file });
  }
  const read = await readTextFileBounded(target, YAML_BOUNDS.manifestBytes);
  switch (read.kind) {
    case "text":
      return { text: read.text, target, root };
    case "missing":
      throw new InputError(`${file}: cannot read the manifest (file not found)`, { file });
    case "not-a-file":
      throw new InputError(`${file}: cannot read the manifest (it is not a regular file)`, { file });
    case "too-large":
      throw new InputError(`${file}: is ${formatSize(read.bytes, YAML_BOUNDS.manifestBytes)}, more than the ${formatBytes(YAML_BOUNDS.manifestBytes)} rightsize edits; it is unchanged`, { file });
    case "not-utf8":
      throw new InputError(`${file}:${read.invalid.line}:${read.invalid.column}: is not UTF-8 text; rightsize does not edit it, so none of its bytes is rewritten: save it as UTF-8 first`, {
        file,
        line: read.invalid.line,
        column: read.invalid.column,
      });
  }
}

/**
 * Diff headers name the file as git names it: relative to the root of its repository (outside a
 * repository, to its directory), so `git apply` at the root applies the diff wherever the command
 * ran. Through a symbolic link, the file the edit changes is named.
 */
async function diffPath(root: string, target: string): Promise<string> {
  return path.relative(await realpath(root), target).split(path.sep).join("/");
}

function workloadKind(value: string): WorkloadKind {
  const kind = WORKLOAD_KINDS.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (!kind) throw new UsageError(`--kind: "${value}" is not one of ${WORKLOAD_KINDS.join(", ")}`);
  return kind;
}

function resourceChange(options: EditOptions): ResourceChange {
  const flags = [
    ["--cpu-request", options.cpuRequest],
    ["--memory-request", options.memoryRequest],
    ["--cpu-limit", options.cpuLimit],
    ["--memory-limit", options.memoryLimit],
  ] as const;
  if (flags.every(([, value]) => value === undefined)) {
    throw new UsageError("nothing to change: give at least one of --cpu-request, --memory-request, --cpu-limit, --memory-limit");
  }
  for (const [flag, value] of flags) if (value !== undefined) parseQuantity(value, flag);
  const change: ResourceChange = { container: options.container };
  if (options.cpuRequest !== undefined || options.memoryRequest !== undefined) {
    change.requests = { ...(options.cpuRequest !== undefined ? { cpu: options.cpuRequest.trim() } : {}), ...(options.memoryRequest !== undefined ? { memory: options.memoryRequest.trim() } : {}) };
  }
  if (options.cpuLimit !== undefined || options.memoryLimit !== undefined) {
    change.limits = { ...(options.cpuLimit !== undefined ? { cpu: options.cpuLimit.trim() } : {}), ...(options.memoryLimit !== undefined ? { memory: options.memoryLimit.trim() } : {}) };
  }
  return change;
}
