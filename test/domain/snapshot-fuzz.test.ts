import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parseObservationSnapshotText, RightsizeError } from "../../src/domain/index.js";
import { FuzzTally, mutate, mutatedArbitrary, PER_INPUT_MS } from "../helpers/mutations.js";

/**
 * Issue 11 fuzzing of the snapshot loader with mutations of the project's snapshot fixtures:
 * every input is read, or refused with a typed error that names the file; none takes long.
 * (Only the fuzzing lives here: the validation itself belongs to src/domain/observation.ts.)
 */
const FIXTURES = path.join(import.meta.dirname, "../fixtures/snapshots");
const seeds = readdirSync(FIXTURES)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((name) => readFileSync(path.join(FIXTURES, name), "utf8"));

/** JSON-shaped mutations on top of the generic ones: a number becomes a string, a huge or negative number, or null. */
const jsonValue = fc.record({ nth: fc.nat(), replacement: fc.constantFrom('"0.5"', "-1", "1e309", "null", "[]", "{}", "true", '"NaN"', "123456789012345678901234567890") });

const tally = new FuzzTally("snapshot loader");
afterAll(() => tally.print());

describe("fuzz: the observation snapshot loader", () => {
  it("reads or refuses every mutated snapshot with an error naming the file, quickly", () => {
    fc.assert(
      fc.property(mutatedArbitrary(seeds, 0), fc.option(jsonValue, { nil: undefined, freq: 2 }), ({ seed, mutations }, value) => {
        let { text } = mutate(seeds[seed]!, mutations);
        if (value) {
          const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/g)];
          const match = numbers.length > 0 ? numbers[value.nth % numbers.length]! : undefined;
          if (match?.index !== undefined) text = `${text.slice(0, match.index)}${value.replacement}${text.slice(match.index + match[0].length)}`;
        }
        const started = performance.now();
        let outcome = "read";
        try {
          const snapshot = parseObservationSnapshotText(text, "snap.json");
          expect(snapshot.kind).toBe("ObservationSnapshot");
        } catch (error) {
          if (!(error instanceof RightsizeError)) throw error;
          outcome = "refused";
          expect(error.location.file).toBe("snap.json");
          expect(error.message).not.toBe("");
        }
        const milliseconds = performance.now() - started;
        tally.record(outcome, milliseconds);
        expect(milliseconds).toBeLessThan(PER_INPUT_MS);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 2500) },
    );
  });
});
