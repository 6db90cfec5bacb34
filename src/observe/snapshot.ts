import { ObservationSnapshotSchema, SNAPSHOT_SCHEMA_VERSION, writeFileAtomically, type ObservationQuery, type ObservationSnapshot, type WorkloadObservation } from "../domain/index.js";
import type { ObservationProblem } from "./request.js";

/**
 * The snapshot file (SPEC §4): observations in a stable order, validated against the published
 * schema. `queries` are the queries the sources ran by id (version 2 keeps each PromQL text once,
 * here, and the workloads refer to it); those no workload refers to are left out.
 */
export function buildSnapshot(workloads: WorkloadObservation[], createdAt: string, problems: ObservationProblem[] = [], queries: Record<string, ObservationQuery> = {}): ObservationSnapshot {
  const key = (observation: WorkloadObservation) => {
    const { cluster, namespace, kind, name } = observation.workload;
    return [cluster, namespace, kind, name];
  };
  const sorted = [...workloads].sort((a, b) => {
    const left = key(a);
    const right = key(b);
    for (let index = 0; index < left.length; index++) {
      const order = left[index]!.localeCompare(right[index]!);
      if (order !== 0) return order;
    }
    return 0;
  });
  // In the order the workloads first refer to them (answers arrive in any order).
  const referenced: Record<string, ObservationQuery> = {};
  for (const id of sorted.flatMap((workload) => workload.queries)) {
    const query = queries[id];
    if (query && !Object.hasOwn(referenced, id)) referenced[id] = query;
  }
  const snapshot: ObservationSnapshot = {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    kind: "ObservationSnapshot",
    createdAt,
    queries: referenced,
    workloads: sorted,
    ...(problems.length > 0 ? { problems } : {}),
  };
  // Validated, but written as built: the parsed form sorts every object's members, and a file
  // reads better with each workload's identity first.
  ObservationSnapshotSchema.parse(snapshot);
  return snapshot;
}

/** Indented JSON, with arrays of numbers (series points) on one line each so charts stay readable and small. */
export function renderSnapshot(snapshot: ObservationSnapshot): string {
  const indented = JSON.stringify(snapshot, null, 2).replace(/\[\n\s*(-?[\d.eE+-]+(?:,\n\s*-?[\d.eE+-]+)*)\n\s*\]/g, (_, numbers: string) => `[${numbers.split(/,\n\s*/).join(", ")}]`);
  return `${indented}\n`;
}

/** Replaces the file in one step, so a reader never sees half a snapshot. */
export async function writeSnapshotFile(file: string, snapshot: ObservationSnapshot): Promise<void> {
  await writeFileAtomically(file, renderSnapshot(snapshot), "the snapshot");
}
