import { z } from "zod";

/** A published JSON Schema: generated from the zod schema that defines the format, as users write it. */
export function toPublishedSchema(schema: z.ZodType, title: string): unknown {
  return { title, ...z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) };
}
