/**
 * The one set of error classes every layer uses. `code` is stable (tools and the CLI's
 * exit status depend on it); `message` says what is wrong and how to fix it; `location`
 * points at the file, line, column, field or workload when there is one.
 */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  field?: string;
  workload?: string;
}

export type ErrorCode = "USAGE" | "INPUT" | "REFUSED" | "EXTERNAL";

export abstract class RightsizeError extends Error {
  abstract readonly code: ErrorCode;
  readonly location: ErrorLocation;

  constructor(message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.location = location;
  }
}

/** The command line was used wrongly (unknown flag, missing argument). */
export class UsageError extends RightsizeError {
  readonly code = "USAGE";
}

/** A file or value the user supplied is invalid: a manifest, policy, snapshot or quantity. */
export class InputError extends RightsizeError {
  readonly code = "INPUT";
}

/** The input is valid but the requested action is not safe to perform (e.g. an aliased value). */
export class RefusalError extends RightsizeError {
  readonly code = "REFUSED";
}

/** A system outside rightsize failed: Prometheus, the Kubernetes API, GitHub, git. */
export class ExternalError extends RightsizeError {
  readonly code = "EXTERNAL";
}

/** Exit statuses documented in the README. */
export const EXIT = {
  ok: 0,
  finding: 1,
  input: 2,
  external: 3,
} as const;

export function exitCodeFor(error: unknown): number {
  if (!(error instanceof RightsizeError)) return EXIT.external;
  switch (error.code) {
    case "REFUSED":
      return EXIT.finding;
    case "USAGE":
    case "INPUT":
      return EXIT.input;
    case "EXTERNAL":
      return EXIT.external;
  }
}

/** `file:line:column field: message`, the shape editors and CI logs make clickable. */
export function formatLocation(location: ErrorLocation): string {
  const place = [location.file, location.line, location.column].filter((part) => part !== undefined).join(":");
  return [place, location.workload, location.field].filter(Boolean).join(" ");
}
