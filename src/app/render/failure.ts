import { code, RightsizeError, safeMarkdown } from "../../domain/index.js";
import { formatPolicyProblem, PolicyInvalidError } from "../../policy/index.js";

/**
 * The one place an error becomes what the person who asked reads (STYLE: errors). Messages may
 * name the operator's endpoints; `redact` swaps those for the cluster's name before they reach
 * a repository.
 */
export function renderFailure(error: unknown, redactEndpoints: (text: string) => string = (text) => text): string {
  const redact = (text: string) => safeMarkdown(withoutCredentials(redactEndpoints(text)));
  if (error instanceof PolicyInvalidError) {
    return [
      "rightsize could not use the policy file; nothing was changed. Fix these problems and run the command again:",
      ...error.problems.map((problem) => `- ${code(formatPolicyProblem(problem))}`),
    ].join("\n");
  }
  if (error instanceof RightsizeError) {
    const message = redact(error.message);
    switch (error.code) {
      case "EXTERNAL":
        return `rightsize could not finish: ${message}. Nothing was changed; run the command again once that is resolved.`;
      case "REFUSED":
        return `rightsize refused: ${message}.`;
      case "USAGE":
      case "INPUT":
        return `rightsize could not run: ${message}. Nothing was changed.`;
    }
  }
  return "rightsize failed unexpectedly; nothing was changed. The operator's logs have the details.";
}

/** Belt and braces: a credential that found its way into a message never reaches a comment. */
function withoutCredentials(text: string): string {
  return text
    .replace(/\b(token|bearer|basic)\s+[A-Za-z0-9_\-.=+/]{8,}/gi, "$1 [redacted]")
    .replace(/\b(gh[pousr]_[A-Za-z0-9_]{10,})/g, "[redacted]")
    .replace(/\/\/[^/@\s]+:[^/@\s]+@/g, "//[redacted]@");
}
