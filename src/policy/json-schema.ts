import { toPublishedSchema } from "../domain/index.js";
import { PolicyV1alpha2Schema } from "./schema.js";

/**
 * The JSON Schema editors use for completion (`# yaml-language-server: $schema=…`). zod's
 * strict objects forbid extra keys; the policy also accepts `x-` keys as user extensions.
 */
export function policyJsonSchema(): unknown {
  return allowExtensions(toPublishedSchema(PolicyV1alpha2Schema, "Rightsize policy (rightsize.dev/v1alpha2)"));
}

function allowExtensions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowExtensions);
  if (node === null || typeof node !== "object") return node;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) result[key] = allowExtensions(value);
  if (result.type === "object" && result.additionalProperties === false) result.patternProperties = { "^x-": {} };
  return result;
}
