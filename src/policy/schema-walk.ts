import type { z } from "zod";

/**
 * Just enough zod introspection to check keys against a schema with positions and
 * suggestions (zod reports unknown keys, but not what the user probably meant), and to describe
 * what a field expects in an error message.
 */
interface SchemaDefinition {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  entries?: Record<string, string>;
  values?: unknown[];
}

function definitionOf(schema: z.ZodType): SchemaDefinition {
  return (schema as unknown as { _zod: { def: SchemaDefinition } })._zod.def;
}

/** Strips wrappers that do not change what a value looks like: defaults, optionals, transforms. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const definition = definitionOf(current);
    const inner = definition.innerType ?? (definition.type === "pipe" ? definition.in : undefined);
    if (!inner) return current;
    current = inner;
  }
}

export interface ObjectSchemaInfo {
  keys: string[];
  /** Loose objects (e.g. `metadata`) accept any key. */
  open: boolean;
  child(key: string): z.ZodType | undefined;
}

export function objectInfo(schema: z.ZodType): ObjectSchemaInfo | undefined {
  const definition = definitionOf(unwrapSchema(schema));
  if (definition.type !== "object" || !definition.shape) return undefined;
  const shape = definition.shape;
  const catchall = definition.catchall ? definitionOf(definition.catchall).type : undefined;
  return { keys: Object.keys(shape), open: catchall !== undefined && catchall !== "never", child: (key) => shape[key] };
}

export function elementSchema(schema: z.ZodType): z.ZodType | undefined {
  const definition = definitionOf(unwrapSchema(schema));
  if (definition.type === "array") return definition.element;
  if (definition.type === "record") return definition.valueType;
  return undefined;
}

export function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const key of path) {
    if (!current) return undefined;
    current = typeof key === "number" ? elementSchema(current) : objectInfo(current)?.child(String(key)) ?? elementSchema(current);
  }
  return current;
}

/** "a number ≥ 1", "one of keep, ratio", "a list", in the words of an error message. */
export function describeExpected(schema: z.ZodType | undefined): string | undefined {
  if (!schema) return undefined;
  const described = describedAlongWrappers(schema);
  if (described) return described;
  const inner = unwrapSchema(schema);
  const definition = definitionOf(inner);
  switch (definition.type) {
    case "number": {
      const { minValue, maxValue, isInt } = inner as unknown as { minValue: number | null; maxValue: number | null; isInt?: boolean };
      const noun = isInt ? "a whole number" : "a number";
      const finite = (bound: number | null) => bound !== null && Number.isFinite(bound) && Math.abs(bound) < Number.MAX_SAFE_INTEGER;
      if (finite(minValue) && finite(maxValue)) return `${noun} from ${minValue} to ${maxValue}`;
      if (finite(minValue)) return `${noun} ≥ ${minValue}`;
      return noun;
    }
    case "enum":
      return `one of ${Object.values(definition.entries ?? {}).join(", ")}`;
    case "literal":
      return `"${String(definition.values?.[0])}"`;
    case "boolean":
      return "true or false";
    case "string":
      return "a string";
    case "array":
      return "a list";
    case "object":
    case "record":
      return "a mapping";
    default:
      return undefined;
  }
}

function describedAlongWrappers(schema: z.ZodType): string | undefined {
  let current: z.ZodType | undefined = schema;
  while (current) {
    if (current.description) return current.description;
    const definition = definitionOf(current);
    current = definition.innerType ?? (definition.type === "pipe" ? definition.in : undefined);
  }
  return undefined;
}
