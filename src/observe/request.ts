import { InputError } from "../domain/index.js";

/**
 * A namespace the source could not observe at all (403 on listing it, a query that timed out
 * before any workload was known). Workload-level failures go to the workload's `problems`.
 */
// A type, not an interface: it is stored as is in the snapshot, whose objects are open records.
export type ObservationProblem = {
  cluster: string;
  namespace?: string;
  message: string;
};

export interface ObservationCallbacks {
  onProgress?: (message: string) => void;
  /** Receives namespace-level problems; without it they are thrown as ExternalError. */
  onProblem?: (problem: ObservationProblem) => void;
}

export function parseInstant(text: string, field: string): number {
  const milliseconds = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(milliseconds)) {
    throw new InputError(`${field}: "${text}" is not an ISO time; use e.g. 2025-01-08T06:00:00Z`, { field });
  }
  return milliseconds / 1000;
}

/** A requested window's ends in Unix seconds; `from` must come before `to`. */
export function parseWindow(window: { from: string; to: string }): { from: number; to: number } {
  const from = parseInstant(window.from, "window.from");
  const to = parseInstant(window.to, "window.to");
  if (!(from < to)) throw new InputError(`window: from (${window.from}) must be before to (${window.to})`, { field: "window" });
  return { from, to };
}

export function isoTime(unixSeconds: number): string {
  return new Date(Math.round(unixSeconds * 1000)).toISOString();
}

export function requireNamespaces(namespaces: readonly string[]): void {
  if (namespaces.length === 0) throw new InputError("no namespace to observe; name at least one (--namespace NS)", { field: "namespaces" });
  for (const namespace of namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
      throw new InputError(`"${namespace}" is not a Kubernetes namespace name (lowercase letters, digits and "-", at most 63 characters)`, { field: "namespace" });
    }
  }
}
