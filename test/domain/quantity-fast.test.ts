import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCpu, formatInStyleOf, formatMemory, formatQuantity, isMultipleOfSuffix, parseQuantity, unitOf, type Quantity, type QuantityUnit } from "../../src/domain/index.js";
import { formatCpuExact, formatMemoryExact, formatQuantityExact } from "../../src/domain/quantity.js";

/*
 * Formatting takes a floating-point path when a quantity's count of nano-units (or of whole units)
 * is an exact double, and bigint arithmetic otherwise. Both must write the same text for every
 * quantity; the bigint functions are the definition.
 */

const UNITS: QuantityUnit[] = ["plain", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const SIZES = [1n, 1_000n, 1_000_000n, 10n ** 9n, 10n ** 12n, 10n ** 15n, 10n ** 18n, 10n ** 21n, 10n ** 24n, 10n ** 27n, 1024n, 1024n ** 2n, 1024n ** 3n, 1024n ** 4n, 1024n ** 5n, 1024n ** 6n];
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Each suffix ("" for whole units) and its size in nano-units, written out here as the definition. */
const SUFFIX_SIZES: Record<string, bigint> = {
  n: 1n, u: 10n ** 3n, m: 10n ** 6n, "": 10n ** 9n, k: 10n ** 12n, M: 10n ** 15n, G: 10n ** 18n, T: 10n ** 21n, P: 10n ** 24n, E: 10n ** 27n,
  Ki: 1024n * 10n ** 9n, Mi: 1024n ** 2n * 10n ** 9n, Gi: 1024n ** 3n * 10n ** 9n, Ti: 1024n ** 4n * 10n ** 9n, Pi: 1024n ** 5n * 10n ** 9n, Ei: 1024n ** 6n * 10n ** 9n,
};
const SUFFIXES = Object.keys(SUFFIX_SIZES);

/** Quantities around every boundary of the fast path: small counts, whole units, both sides of 2^53, multiples of every suffix. */
const quantities: fc.Arbitrary<Quantity> = fc
  .oneof(
    fc.bigInt({ min: 0n, max: MAX_SAFE }),
    fc.bigInt({ min: MAX_SAFE - 5_000n, max: MAX_SAFE + 5_000n }),
    fc.bigInt({ min: 0n, max: MAX_SAFE }).map((units) => units * 10n ** 9n),
    fc.bigInt({ min: MAX_SAFE - 5_000n, max: MAX_SAFE + 5_000n }).map((units) => units * 10n ** 9n),
    fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.constantFrom(...SIZES)).map(([count, size]) => count * size * 10n ** 9n),
    fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.constantFrom(...SIZES)).map(([count, size]) => count * size),
    fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 40n }), fc.bigInt({ min: 1n, max: 999_999_999n })).map(([bytes, fraction]) => bytes * 10n ** 9n + fraction),
    fc.bigInt({ min: 0n, max: 2n ** 100n }),
  )
  .map((nanos) => ({ nanos }));

describe("fast quantity formatting", () => {
  it("formatQuantity writes what the bigint definition writes, in every unit", () => {
    fc.assert(
      fc.property(quantities, fc.constantFrom(...UNITS), (value, unit) => {
        expect(formatQuantity(value, unit)).toBe(formatQuantityExact(value, unit));
      }),
      { numRuns: 20_000 },
    );
  });

  it("isMultipleOfSuffix answers what the bigint remainder answers, for every suffix", () => {
    fc.assert(
      fc.property(quantities, fc.constantFrom(...SUFFIXES), (value, suffix) => {
        expect(isMultipleOfSuffix(value.nanos, suffix)).toBe(value.nanos % SUFFIX_SIZES[suffix]! === 0n);
      }),
      { numRuns: 20_000 },
    );
  });

  it("formatCpu and formatMemory write what the bigint definitions write", () => {
    fc.assert(
      fc.property(quantities, (value) => {
        expect(formatCpu(value)).toBe(formatCpuExact(value));
        expect(formatMemory(value)).toBe(formatMemoryExact(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it("formats the values either side of the fast path's limits by hand", () => {
    // 2^53 − 1 nanocores = 9,007,199.254740991 cores, not a whole millicore: formatCpu writes nanocores.
    // One nano-unit more leaves the nano-count path for bigint; both write nanocores.
    expect(formatCpu({ nanos: MAX_SAFE })).toBe("9007199254740991n");
    expect(formatCpu({ nanos: MAX_SAFE + 1n })).toBe("9007199254740992n");
    // 9,007,199,254,741 millicores × 10^6 is above 2^53 nanos but a whole number of millicores.
    expect(formatCpu({ nanos: 9_007_199_254_741n * 1_000_000n })).toBe("9007199254741m");
    // 3 GiB = 3,221,225,472 bytes: a whole number of bytes above 2^53 nanos takes the whole-unit path.
    expect(formatMemory({ nanos: 3_221_225_472n * 10n ** 9n })).toBe("3Gi");
    // 2,703,697,149 bytes × 1.15 = 3,109,251,721.35 bytes: not whole bytes, a plain decimal.
    expect(formatMemory({ nanos: 3_109_251_721_350_000_000n })).toBe("3109251721.35");
    // 1Ei is 2^60 bytes, a byte count above 2^53: the bigint path, the same text.
    expect(formatMemory({ nanos: 2n ** 60n * 10n ** 9n })).toBe("1Ei");
    expect(formatQuantity({ nanos: 5n * 10n ** 9n }, "m")).toBe("5000m");
    expect(formatQuantity({ nanos: 0n }, "P")).toBe("0P");
  });

  it("parses back to the same quantity (the fast path keeps formatQuantity's round trip)", () => {
    fc.assert(
      fc.property(quantities, fc.constantFrom(...UNITS), (value, unit) => {
        expect(parseQuantity(formatQuantity(value, unit)).nanos).toBe(value.nanos);
      }),
      { numRuns: 5_000 },
    );
  });

  it("keeps the manifest's style through the fast multiple checks", () => {
    const styles = ["500m", "1", "0.5", "512Mi", "1Gi", "2G", "1000k", "250000u", "1e3", "3Ki"];
    fc.assert(
      fc.property(quantities, fc.constantFrom(...styles), fc.constantFrom("cpu" as const, "memory" as const), (value, style, resource) => {
        const written = formatInStyleOf(value, resource, style);
        expect(parseQuantity(written).nanos).toBe(value.nanos);
        // The style's unit is kept exactly when the bigint arithmetic says it divides the value.
        const unit = unitOf(style);
        if (unit !== "plain") {
          const size = parseQuantity(`1${unit}`).nanos;
          expect(written.endsWith(unit) && /^\d+[a-zA-Z]+$/.test(written)).toBe(value.nanos % size === 0n);
        }
      }),
      { numRuns: 5_000 },
    );
  });
});
