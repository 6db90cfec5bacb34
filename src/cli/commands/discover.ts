import { stat } from "node:fs/promises";
import type { Command } from "commander";
import { alignColumns, escapeControls, InputError } from "../../domain/index.js";
import { discoverTargets, type DiscoveredContainer, type DiscoverOptions as ManifestDiscoverOptions, type Discovery, type DiscoveryTarget, type ManifestLocation, type RepoFile } from "../../manifests/index.js";
import { policyDiscoveryTargets, readWorkingTreeFiles } from "../../pipeline/index.js";
import { DEFAULT_POLICY_PATH } from "../../policy/index.js";
import { loadPolicyWithWarnings } from "../inputs.js";
import { addOutputOptions, parseOutputFormat, printOutput, type OutputFlags, type Rows } from "../output.js";

interface DiscoverOptions extends OutputFlags {
  policy?: string;
  include?: string[];
  exclude?: string[];
  defaultNamespace?: string;
}

/** What `discover` prints: the workloads (with the cluster of their policy target, when the policy has targets) and the skipped files. */
interface DiscoverReport extends Discovery {
  workloads: (Discovery["workloads"][number] & { cluster?: string })[];
}

export function register(program: Command): void {
  const command = program
    .command("discover")
    .description(
      "List the workloads of a config repo checkout (plain manifests, kustomize overlays, Helm values the policy maps), their containers, current requests/limits and where each is defined. Reads the policy's targets as plan does.",
    )
    .argument("[dir]", "checkout to scan", ".")
    .option("--policy <file>", `policy file whose targets (paths, cluster, namespace, helm) are scanned (default: <dir>/${DEFAULT_POLICY_PATH} when present)`)
    .option("--include <glob...>", "only files matching these globs (default: the policy's target paths, else **/*.{yaml,yml})")
    .option("--exclude <glob...>", "leave out files matching these globs (.git, node_modules and charts/*/templates are always left out)")
    .option("--default-namespace <namespace>", "namespace of workloads that name none in the manifest or kustomization (default: the policy target's)");
  addOutputOptions(command).action(async (dir: string, options: DiscoverOptions) => {
      const format = parseOutputFormat(options.output);
      await requireDirectory(dir);
      const loaded = await loadPolicyWithWarnings(options.policy, dir);
      const files = await readWorkingTreeFiles(dir);
      const report = discover(files, loaded.policy.targets.length > 0 ? policyDiscoveryTargets(loaded.policy) : [{ options: {} }], options);
      printOutput(format, options, { data: () => report, table: () => renderDiscovery(report, dir), rows: () => discoveryRows(report) });
    });
}

/**
 * The policy's targets, as `plan` scans them; the flags narrow them: `--include` keeps only the
 * files that also match, `--exclude` leaves more out, `--default-namespace` replaces the target's.
 */
function discover(files: RepoFile[], targets: DiscoveryTarget[], flags: DiscoverOptions): DiscoverReport {
  const narrowed = targets.map((target) => {
    const options: ManifestDiscoverOptions = { ...target.options };
    if (flags.include) {
      if (options.include) options.within = flags.include;
      else options.include = flags.include;
    }
    if (flags.exclude) options.exclude = [...(options.exclude ?? []), ...flags.exclude];
    if (flags.defaultNamespace) options.defaultNamespace = flags.defaultNamespace;
    return { ...target, options };
  });
  const discoveries = discoverTargets(files, narrowed);
  const report: DiscoverReport = { workloads: [], skipped: [] };
  const seen = new Set<string>();
  discoveries.forEach((discovery, index) => {
    const cluster = narrowed[index]!.cluster;
    for (const workload of discovery.workloads) {
      // Overlapping targets of one cluster list a workload once, as plan plans it once.
      const key = `${cluster ?? ""}/${workload.namespace ?? ""}/${workload.kind}/${workload.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      report.workloads.push(cluster === undefined ? workload : { cluster, ...workload });
    }
    for (const skip of discovery.skipped) if (!report.skipped.some((known) => known.path === skip.path && known.reason === skip.reason)) report.skipped.push(skip);
  });
  return report;
}

async function requireDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new InputError("not a directory; give the path of a checkout of the config repo", { file: dir });
}

export function renderDiscovery(discovery: DiscoverReport, dir: string): string {
  const lines: string[] = [];
  const clusters = discovery.workloads.some((workload) => workload.cluster !== undefined);
  if (discovery.workloads.length === 0) lines.push(`no workloads found in ${dir}`);
  else {
    const rows: string[][] = [[...(clusters ? ["CLUSTER"] : []), "NAMESPACE", "KIND", "NAME", "CONTAINER", "ROLE", "CPU REQ", "MEM REQ", "CPU LIM", "MEM LIM", "RESOURCES AT"]];
    for (const workload of discovery.workloads) {
      const cluster = clusters ? [workload.cluster ?? "-"] : [];
      for (const container of workload.containers) {
        rows.push([
          ...cluster,
          workload.namespace ?? "-",
          workload.kind,
          workload.name,
          container.name,
          container.role,
          container.requests.cpu ?? "-",
          container.requests.memory ?? "-",
          container.limits.cpu ?? "-",
          container.limits.memory ?? "-",
          definedAt(container),
        ]);
      }
      if (workload.containers.length === 0) rows.push([...cluster, workload.namespace ?? "-", workload.kind, workload.name, "-", "-", "-", "-", "-", "-", place(workload.location)]);
    }
    lines.push(alignColumns(rows));
  }
  const shared = discovery.workloads.flatMap((workload) =>
    workload.containers
      .filter((container) => container.sharedWith.length > 0)
      .map((container) => `  ${escapeControls(`${workload.cluster ? `${workload.cluster} ` : ""}${workload.namespace ?? "-"}/${workload.kind}/${workload.name} ${container.name}: ${container.sharedWith.join(", ")}`)}`),
  );
  if (shared.length > 0) lines.push("", "shared with other workloads (a proposal sets these values in the workload's own overlay, or is refused):", ...shared);
  if (discovery.skipped.length > 0) {
    lines.push("", "skipped:");
    for (const skip of discovery.skipped) lines.push(`  ${escapeControls(`${skip.path}: ${skip.reason}`)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** One row per container (a workload without containers: one row), with where its values are defined. */
function discoveryRows(report: DiscoverReport): Rows {
  return {
    columns: ["cluster", "namespace", "kind", "name", "container", "role", "cpu_request", "memory_request", "cpu_limit", "memory_limit", "resources_at"],
    rows: report.workloads.flatMap((workload) => {
      const base = [workload.cluster ?? null, workload.namespace ?? null, workload.kind, workload.name];
      if (workload.containers.length === 0) return [[...base, null, null, null, null, null, null, place(workload.location)]];
      return workload.containers.map((container) => [
        ...base,
        container.name,
        container.role,
        container.requests.cpu ?? null,
        container.requests.memory ?? null,
        container.limits.cpu ?? null,
        container.limits.memory ?? null,
        definedAt(container),
      ]);
    }),
  };
}

/** The files that define the effective values (a base and an overlay patch may both count), each at its first line. */
function definedAt(container: DiscoveredContainer): string {
  const firstLine = new Map<string, number | undefined>();
  const locations = container.definitions.filter((definition) => definition.effective && definition.value !== null).map((definition) => definition.location);
  for (const location of locations.length > 0 ? locations : [container.location]) {
    const known = firstLine.get(location.path);
    if (!firstLine.has(location.path) || (location.line !== undefined && (known === undefined || location.line < known))) firstLine.set(location.path, location.line);
  }
  return [...firstLine].map(([path, line]) => place({ path, line })).join(", ");
}

function place(location: Pick<ManifestLocation, "path" | "line">): string {
  return location.line === undefined ? location.path : `${location.path}:${location.line}`;
}
