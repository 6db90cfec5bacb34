import type { ObservationSnapshot } from "../domain/index.js";

/** What observation may be narrowed to (a `/rightsize` command that names a cluster or namespaces). */
export interface ObservationScope {
  cluster?: string;
  namespaces?: string[];
}

/** What one observation of the clusters gave: the snapshot, and the time it stands for. */
export interface ObservedInputs {
  snapshot: ObservationSnapshot;
  /** The evaluation time: the records' createdAt. */
  at: string;
}
