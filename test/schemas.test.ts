import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PUBLISHED_SCHEMAS } from "../src/schemas.js";

describe("published JSON Schemas", () => {
  it.each(Object.keys(PUBLISHED_SCHEMAS))("schemas/%s is generated from the current zod schema (run npm run schemas)", (file) => {
    const committed = JSON.parse(readFileSync(new URL(`../schemas/${file}`, import.meta.url), "utf8"));
    expect(committed).toEqual(PUBLISHED_SCHEMAS[file]!());
  });
});
