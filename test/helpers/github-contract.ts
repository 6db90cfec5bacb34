import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Ajv, type ValidateFunction } from "ajv";

/**
 * GitHub's own REST description (npm `@octokit/openapi`, the description GitHub publishes) as a
 * checker for the stand-in and for tests: a request whose path, method, query parameters or JSON
 * body GitHub does not describe is a contract violation, so a stand-in that accepts what GitHub
 * would refuse cannot let a test pass.
 */
export interface ContractRequest {
  method: string;
  /** The path as sent (percent-encoded), without the API prefix (`/api/v3` on GHES). */
  path: string;
  query: URLSearchParams;
  body: unknown;
}

interface Operation {
  method: string;
  template: string;
  /** Every parameter one segment; and the same with slashes allowed in the last one. */
  pattern: RegExp;
  loosePattern: RegExp;
  /** Path parameters in order, and the query parameters GitHub knows. */
  pathParameters: string[];
  query: Map<string, ValidateFunction>;
  body?: { validate: ValidateFunction; properties: Set<string> | undefined };
}

type Schema = Record<string, unknown>;

let operations: Operation[] | undefined;

/** The description, read once per process (13 MB of JSON; the dereferenced files are five times that). */
function loadOperations(): Operation[] {
  if (operations) return operations;
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve("@octokit/openapi/package.json")), "generated/api.github.com.json");
  const spec = JSON.parse(readFileSync(file, "utf8")) as { paths: Record<string, Record<string, Schema>>; components: Schema & { parameters: Record<string, Schema> } };
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: false });
  // References point into the registered components; OpenAPI 3.0's `nullable` without a `type` means nothing to JSON Schema.
  const local = <T>(schema: T): T =>
    JSON.parse(JSON.stringify(schema), (key, value: unknown) => {
      if (key === "$ref" && typeof value === "string") return value.replace(/^#\/components\//, "github#/components/");
      if (value && typeof value === "object" && !Array.isArray(value) && "nullable" in value && !("type" in value)) {
        const { nullable: _ignored, ...rest } = value as Schema;
        return rest;
      }
      return value;
    }) as T;
  ajv.addSchema({ components: local(spec.components) }, "github");
  const resolve = (parameter: Schema): Schema => {
    const reference = parameter.$ref as string | undefined;
    return reference ? spec.components.parameters[reference.split("/").pop()!]! : parameter;
  };
  const lazy = (schema: Schema): ValidateFunction => {
    let compiled: ValidateFunction | undefined;
    const validate = ((value: unknown) => (compiled ??= ajv.compile(local(schema)))(value)) as ValidateFunction;
    Object.defineProperty(validate, "errors", { get: () => compiled?.errors });
    return validate;
  };
  operations = [];
  for (const [template, methods] of Object.entries(spec.paths)) {
    const names = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
    const source = template.replace(/\{[^}]+\}/g, "([^/]+)");
    // A ref or a file path may come with its slashes unencoded; no other parameter holds a slash.
    const loose = /\{(path|ref)\}$/.test(template) ? source.replace(/\(\[\^\/\]\+\)$/, "(.+)") : source;
    for (const [method, operation] of Object.entries(methods)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const parameters = ((operation.parameters as Schema[] | undefined) ?? []).map(resolve);
      const query = new Map(parameters.filter((parameter) => parameter.in === "query").map((parameter) => [parameter.name as string, lazy((parameter.schema as Schema) ?? {})]));
      const schema = ((operation.requestBody as Schema | undefined)?.content as Record<string, { schema: Schema }> | undefined)?.["application/json"]?.schema;
      const properties = schema?.properties ? new Set(Object.keys(schema.properties as Schema)) : undefined;
      operations.push({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${source}$`),
        loosePattern: new RegExp(`^${loose}$`),
        pathParameters: names,
        query,
        ...(schema ? { body: { validate: lazy(schema), properties } } : {}),
      });
    }
  }
  // Literal paths win over templated ones (`/repos/{owner}/{repo}/pulls` over `/repos/{owner}/{repo}/{x}`).
  operations.sort((a, b) => a.pathParameters.length - b.pathParameters.length);
  return operations;
}

/** What is wrong with a request by GitHub's description; empty when GitHub describes it. */
export function contractProblems(request: ContractRequest): string[] {
  const strict = loadOperations().filter((operation) => operation.pattern.test(request.path));
  const candidates = strict.length > 0 ? strict : loadOperations().filter((operation) => operation.loosePattern.test(request.path));
  const what = `${request.method} ${request.path}`;
  if (candidates.length === 0) return [`${what}: no such path in GitHub's REST API`];
  const operation = candidates.find((candidate) => candidate.method === request.method);
  if (!operation) return [`${what}: GitHub serves ${candidates.map((candidate) => candidate.method).join(", ")} on ${candidates[0]!.template}, not ${request.method}`];
  const problems: string[] = [];
  for (const [name, value] of request.query) {
    const validate = operation.query.get(name);
    if (!validate) problems.push(`${what}: ${operation.template} takes no query parameter "${name}"`);
    else if (!validate(value) && !validate(coerce(value))) problems.push(`${what}: query parameter ${name}=${value}: ${describe(validate)}`);
  }
  if (operation.body && request.body !== undefined) {
    if (!operation.body.validate(request.body)) problems.push(`${what}: body ${describe(operation.body.validate)}`);
    const unknown = operation.body.properties && typeof request.body === "object" && request.body !== null ? Object.keys(request.body).filter((key) => !operation.body!.properties!.has(key)) : [];
    if (unknown.length > 0) problems.push(`${what}: body has fields GitHub does not take: ${unknown.join(", ")}`);
  } else if (!operation.body && request.body !== undefined && ["POST", "PATCH", "PUT"].includes(request.method) && Object.keys(request.body as object).length > 0) {
    problems.push(`${what}: ${operation.template} takes no body`);
  }
  return problems;
}

/** Query values arrive as text; numbers and booleans are checked as what they stand for. */
function coerce(value: string): unknown {
  if (/^-?\d+$/.test(value)) return Number(value);
  if (value === "true" || value === "false") return value === "true";
  return value;
}

function describe(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((error) => `${error.instancePath || "(root)"} ${error.message}`).join("; ");
}
