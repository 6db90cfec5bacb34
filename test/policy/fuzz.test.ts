import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { RightsizeError } from "../../src/domain/index.js";
import { loadPolicy, migratePolicyText, PolicyInvalidError } from "../../src/policy/index.js";
import { FuzzTally, mutate, mutatedArbitrary, FUZZ_TIMEOUT_MS, PER_INPUT_MS, SECRET, secretGuarded } from "../helpers/mutations.js";

/**
 * Issue 11 fuzzing: mutations of the project's own policy fixtures. Every input is loaded or
 * rejected with problems that each name the file, a line and a column; none takes long; no
 * message repeats the file's contents; a migration either validates or is refused.
 */
const FIXTURES = path.join(import.meta.dirname, "../fixtures/policy");
const names = readdirSync(FIXTURES)
  .filter((name) => name.endsWith(".yml"))
  .sort();
const seeds = names.map((name) => readFileSync(path.join(FIXTURES, name), "utf8"));
const ORG_BASE = { path: "base.yml", text: readFileSync(path.join(FIXTURES, "org-base.yml"), "utf8") };

const tally = new FuzzTally("policy loader");
afterAll(() => tally.print());

describe("fuzz: the policy loader", () => {
  it("loads or rejects every mutated policy with located problems, quickly, quoting nothing past 64 characters", () => {
    fc.assert(
      fc.property(mutatedArbitrary(seeds), ({ seed, mutations }) => {
        const { text } = mutate(seeds[seed]!, mutations);
        const guarded = secretGuarded([text]);
        const started = performance.now();
        let outcome = "loaded";
        try {
          // The file that extends org-base.yml is loaded with it, as the CLI and Probot would.
          const loaded = loadPolicy({ path: "p.yml", text }, names[seed] === "extends-org.yml" ? [ORG_BASE] : []);
          expect(loaded.policy.apiVersion).toBe("rightsize.dev/v1alpha2");
          for (const warning of loaded.warnings) expect(warning.line).toBeGreaterThanOrEqual(1);
          if (loaded.source.apiVersion === "rightsize.dev/v1alpha1") {
            outcome = "loaded and migrated";
            try {
              expect(loadPolicy({ path: "p.yml", text: migratePolicyText({ path: "p.yml", text }).text }).policy).toEqual(loaded.policy);
            } catch (error) {
              // A legal file the byte layer will not rewrite (a template, an alias on the way) is refused, never mangled.
              if (!(error instanceof RightsizeError)) throw error;
              outcome = "loaded, migration refused";
            }
          }
        } catch (error) {
          if (!(error instanceof PolicyInvalidError)) throw error;
          outcome = "rejected";
          expect(error.problems.length).toBeGreaterThan(0);
          for (const problem of error.problems) {
            expect(["p.yml", "base.yml"]).toContain(problem.file);
            expect(problem.line).toBeGreaterThanOrEqual(1);
            expect(problem.column).toBeGreaterThanOrEqual(0);
            expect(problem.message).not.toBe("");
            // A deletion may bring the marker within the 64 characters a message may quote; only a guarded marker counts.
            if (guarded) expect(problem.message).not.toContain(SECRET);
          }
          expect(error.location.file).toBeDefined();
        }
        const milliseconds = performance.now() - started;
        tally.record(outcome, milliseconds);
        expect(milliseconds).toBeLessThan(PER_INPUT_MS);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 3000) },
    );
  }, FUZZ_TIMEOUT_MS);
});
