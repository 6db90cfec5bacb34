import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseObservationSnapshotText, type ObservationSnapshot } from "../../src/domain/index.js";

/** The bundled example's observation snapshot (examples/snapshot.json). */
export const EXAMPLE = parseObservationSnapshotText(readFileSync(path.join(import.meta.dirname, "../../examples/snapshot.json"), "utf8"));

/** The three workloads the example repository defines and the example snapshot observes. */
export const EXAMPLE_WORKLOADS = ["frontend", "checkout", "api"];

/** The example snapshot with only the named workloads (default: the example repository's three). */
export function exampleSnapshot(names: readonly string[] = EXAMPLE_WORKLOADS): ObservationSnapshot {
  return { ...EXAMPLE, workloads: EXAMPLE.workloads.filter((workload) => names.includes(workload.workload.name)) };
}

/** exampleSnapshot written to `directory`/snapshot.json, for an operator's clusters file; returns the path. */
export function writeExampleSnapshot(directory: string, names?: readonly string[]): string {
  const file = path.join(directory, "snapshot.json");
  writeFileSync(file, JSON.stringify(exampleSnapshot(names)));
  return file;
}
