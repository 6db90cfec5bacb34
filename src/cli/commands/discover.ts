import { stat } from "node:fs/promises";
import type { Command } from "commander";
import { alignColumns, InputError } from "../../domain/index.js";
import { discoverWorkloads, type DiscoveredContainer, type Discovery, type ManifestLocation } from "../../manifests/index.js";
import { readWorkingTreeFiles } from "../../pipeline/index.js";
import { parseOutputFormat, printJson } from "../output.js";

interface DiscoverOptions {
  output: string;
  include?: string[];
  exclude?: string[];
  defaultNamespace?: string;
}

export function register(program: Command): void {
  program
    .command("discover")
    .description("List the workloads of a config repo checkout (plain manifests, kustomize overlays), their containers, current requests/limits and where each is defined.")
    .argument("[dir]", "checkout to scan", ".")
    .option("--output <format>", "text (a table) or json", "text")
    .option("--include <glob...>", "only files matching these globs (default: **/*.{yaml,yml})")
    .option("--exclude <glob...>", "leave out files matching these globs (.git, node_modules and charts/*/templates are always left out)")
    .option("--default-namespace <namespace>", "namespace of workloads that name none in the manifest or kustomization")
    .action(async (dir: string, options: DiscoverOptions) => {
      const format = parseOutputFormat(options.output);
      await requireDirectory(dir);
      const files = await readWorkingTreeFiles(dir);
      const discovery = discoverWorkloads(files, {
        ...(options.include ? { include: options.include } : {}),
        ...(options.exclude ? { exclude: options.exclude } : {}),
        ...(options.defaultNamespace ? { defaultNamespace: options.defaultNamespace } : {}),
      });
      if (format === "json") printJson(discovery);
      else process.stdout.write(renderDiscovery(discovery, dir));
    });
}

async function requireDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new InputError("not a directory; give the path of a checkout of the config repo", { file: dir });
}

export function renderDiscovery(discovery: Discovery, dir: string): string {
  const lines: string[] = [];
  if (discovery.workloads.length === 0) lines.push(`no workloads found in ${dir}`);
  else {
    const rows: string[][] = [["NAMESPACE", "KIND", "NAME", "CONTAINER", "ROLE", "CPU REQ", "MEM REQ", "CPU LIM", "MEM LIM", "RESOURCES AT"]];
    for (const workload of discovery.workloads) {
      for (const container of workload.containers) {
        rows.push([
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
      if (workload.containers.length === 0) rows.push([workload.namespace ?? "-", workload.kind, workload.name, "-", "-", "-", "-", "-", "-", place(workload.location)]);
    }
    lines.push(alignColumns(rows));
  }
  if (discovery.skipped.length > 0) {
    lines.push("", "skipped:");
    for (const skip of discovery.skipped) lines.push(`  ${skip.path}: ${skip.reason}`);
  }
  return `${lines.join("\n")}\n`;
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
