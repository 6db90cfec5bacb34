import { writeFileSync } from "node:fs";
import { PUBLISHED_SCHEMAS } from "../src/schemas.js";

for (const [file, generate] of Object.entries(PUBLISHED_SCHEMAS)) {
  writeFileSync(new URL(`../schemas/${file}`, import.meta.url), `${JSON.stringify(generate(), null, 2)}\n`);
  console.log(`schemas/${file}`);
}
