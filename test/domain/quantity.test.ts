import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addQuantities,
  compareQuantities,
  formatCpu,
  formatInStyleOf,
  formatMemory,
  formatQuantity,
  InputError,
  parseQuantity,
  percentChange,
  quantityFromNumber,
  roundUpToStep,
  scaleQuantity,
  unitOf,
  type QuantityUnit,
} from "../../src/domain/index.js";

const nanos = (text: string) => parseQuantity(text).nanos;
const GIB = 1024n ** 3n;

describe("parseQuantity", () => {
  it.each([
    ["100m", 100_000_000n],
    ["1", 1_000_000_000n],
    ["0.5", 500_000_000n],
    [".25", 250_000_000n],
    ["2.", 2_000_000_000n],
    ["+3", 3_000_000_000n],
    ["250n", 250n],
    ["7u", 7_000n],
    ["1k", 1_000n * 10n ** 9n],
    ["1M", 10n ** 6n * 10n ** 9n],
    ["1G", 10n ** 9n * 10n ** 9n],
    ["1T", 10n ** 12n * 10n ** 9n],
    ["1P", 10n ** 15n * 10n ** 9n],
    ["1E", 10n ** 18n * 10n ** 9n],
    ["1Ki", 1024n * 10n ** 9n],
    ["1Mi", 1024n ** 2n * 10n ** 9n],
    ["1Gi", GIB * 10n ** 9n],
    ["1Ti", 1024n ** 4n * 10n ** 9n],
    ["1Pi", 1024n ** 5n * 10n ** 9n],
    ["1Ei", 1024n ** 6n * 10n ** 9n],
    ["1.5Gi", (GIB * 3n * 10n ** 9n) / 2n],
    ["1e3", 1000n * 10n ** 9n],
    ["12E6", 12_000_000n * 10n ** 9n],
    ["5e-3", 5_000_000n],
    ["1.5e2", 150n * 10n ** 9n],
  ])("%s is %s nano-units", (text, expected) => {
    expect(nanos(text)).toBe(expected);
  });

  it("rounds values finer than a nano-unit up, as Kubernetes does", () => {
    expect(nanos("0.0000000001")).toBe(1n);
  });

  it.each([
    ["abc", /"abc" is not a Kubernetes quantity; expected a number/],
    ["1.5.3", /"1.5.3" is not a Kubernetes quantity/],
    ["-1", /"-1" is negative; requests and limits must be zero or more/],
    ["10mi", /"10mi" is not a Kubernetes quantity; the suffix "mi" is case-sensitive, did you mean "Mi"\?/],
    ["10MB", /unknown suffix "MB"/],
    ["", /"" is not a Kubernetes quantity/],
  ])("rejects %j naming the value", (text, message) => {
    expect(() => parseQuantity(text, "resources.requests.memory")).toThrow(InputError);
    expect(() => parseQuantity(text, "resources.requests.memory")).toThrow(message);
    expect(() => parseQuantity(text, "resources.requests.memory")).toThrow(/^resources\.requests\.memory: /);
  });
});

describe("exact arithmetic", () => {
  it("adds 0.1 and 0.2 cores to exactly 300m", () => {
    expect(formatQuantity(addQuantities(parseQuantity("0.1"), parseQuantity("0.2")), "m")).toBe("300m");
  });

  it("keeps 1.5Gi exact through scaling by 2", () => {
    expect(formatQuantity(scaleQuantity(parseQuantity("1.5Gi"), 2), "Gi")).toBe("3Gi");
  });

  it("scales by a decimal margin without float drift: 180m x 1.15 = 207m", () => {
    expect(formatQuantity(scaleQuantity(parseQuantity("180m"), 1.15), "m")).toBe("207m");
  });

  it("rounds up to a step: 207m to 5m is 210m, 290.2Mi to 1Mi is 291Mi", () => {
    expect(formatQuantity(roundUpToStep(parseQuantity("207m"), parseQuantity("5m")), "m")).toBe("210m");
    const memory = addQuantities(parseQuantity("290Mi"), parseQuantity("200Ki"));
    expect(formatQuantity(roundUpToStep(memory, parseQuantity("1Mi")), "Mi")).toBe("291Mi");
    expect(formatQuantity(roundUpToStep(parseQuantity("200m"), parseQuantity("5m")), "m")).toBe("200m");
  });

  it("compares across styles", () => {
    expect(compareQuantities(parseQuantity("1"), parseQuantity("1000m"))).toBe(0);
    expect(compareQuantities(parseQuantity("1Gi"), parseQuantity("1G"))).toBe(1);
    expect(compareQuantities(parseQuantity("999m"), parseQuantity("1"))).toBe(-1);
  });

  it("measures signed change in percent", () => {
    expect(percentChange(parseQuantity("500m"), parseQuantity("180m"))).toBeCloseTo(-64, 10);
    expect(percentChange(parseQuantity("256Mi"), parseQuantity("512Mi"))).toBe(100);
  });

  it("converts measured floats up to the next nano-unit", () => {
    expect(quantityFromNumber(0.18).nanos).toBe(180_000_000n);
    expect(quantityFromNumber(268435456).nanos).toBe(268435456n * 10n ** 9n);
    expect(quantityFromNumber(0.1234567891).nanos).toBe(123_456_790n);
    expect(quantityFromNumber(168436836.5).nanos).toBe(168_436_836_500_000_000n);
  });

  it("converts every float to the smallest nano-unit count at or above it, by the exact decimal expansion", () => {
    // Reference: the decimal expansion to nine places (toFixed is exact), nudged up when it rounded down.
    const reference = (value: number) => {
      const [whole = "0", fraction = ""] = value.toFixed(9).split(".");
      const nanos = BigInt(whole) * 10n ** 9n + BigInt(fraction);
      return Number(nanos) / 1e9 < value ? nanos + 1n : nanos;
    };
    const measurements = fc.oneof(fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 1e8, noNaN: true }));
    fc.assert(fc.property(measurements, (value) => quantityFromNumber(value).nanos === reference(value)), { numRuns: 20_000 });
  });
});

describe("formatting", () => {
  it.each([
    ["500m", "m", "500m"],
    ["500m", "plain", "0.5"],
    ["2", "m", "2000m"],
    ["2", "plain", "2"],
    ["1Gi", "Mi", "1024Mi"],
    ["1536Mi", "Gi", "1536Mi"],
    ["1Gi", "Gi", "1Gi"],
    ["1G", "M", "1000M"],
    ["100Ki", "Mi", "100Ki"],
    ["1500", "Ki", "1500"],
    ["250n", "m", "250n"],
  ] as const)("%s as %s is %s", (text, unit, expected) => {
    expect(formatQuantity(parseQuantity(text), unit)).toBe(expected);
  });

  it("displays CPU as cores when whole, else millicores; memory with the largest exact binary suffix", () => {
    expect(formatCpu(parseQuantity("2000m"))).toBe("2");
    expect(formatCpu(parseQuantity("0.25"))).toBe("250m");
    expect(formatMemory(parseQuantity("2048Mi"))).toBe("2Gi");
    expect(formatMemory(parseQuantity("300Mi"))).toBe("300Mi");
    expect(formatMemory(parseQuantity("1000"))).toBe("1000");
  });

  it("reads the unit style a manifest author used", () => {
    expect(unitOf("500m")).toBe("m");
    expect(unitOf("2")).toBe("plain");
    expect(unitOf("0.5")).toBe("plain");
    expect(unitOf("1Gi")).toBe("Gi");
    expect(unitOf("1e3")).toBe("plain");
  });
});

const UNITS: QuantityUnit[] = ["plain", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const anyQuantity = fc.bigInt({ min: 0n, max: 10n ** 30n }).map((value) => ({ nanos: value }));

describe("properties", () => {
  it("parse(format(x)) == x in every unit", () => {
    fc.assert(
      fc.property(anyQuantity, fc.constantFrom(...UNITS), (value, unit) => {
        expect(parseQuantity(formatQuantity(value, unit)).nanos).toBe(value.nanos);
      }),
    );
  });

  it("ordering agrees with the numeric value across styles", () => {
    fc.assert(
      fc.property(anyQuantity, anyQuantity, fc.constantFrom(...UNITS), fc.constantFrom(...UNITS), (a, b, unitA, unitB) => {
        const parsedA = parseQuantity(formatQuantity(a, unitA));
        const parsedB = parseQuantity(formatQuantity(b, unitB));
        expect(compareQuantities(parsedA, parsedB)).toBe(a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0);
      }),
    );
  });

  it("rounding up to a step never lowers a value and lands on a multiple", () => {
    fc.assert(
      fc.property(anyQuantity, fc.bigInt({ min: 1n, max: 10n ** 20n }), (value, step) => {
        const rounded = roundUpToStep(value, { nanos: step });
        expect(rounded.nanos >= value.nanos).toBe(true);
        expect(rounded.nanos % step).toBe(0n);
        expect(rounded.nanos - value.nanos < step).toBe(true);
      }),
    );
  });
});

describe("formatInStyleOf", () => {
  it.each([
    ["cpu", "2", "3", "3"],
    ["cpu", "2", "1500m", "1500m"],
    ["cpu", "0.5", "250m", "0.25"],
    ["cpu", "500m", "180m", "180m"],
    ["cpu", undefined, "180m", "180m"],
    ["cpu", undefined, "2", "2"],
    ["memory", "1Gi", "2Gi", "2Gi"],
    ["memory", "1Gi", "1536Mi", "1536Mi"],
    ["memory", "512Mi", "290Mi", "290Mi"],
    ["memory", "536870912", "256Mi", "268435456"],
    ["memory", "500M", "290Mi", "290Mi"],
    ["memory", undefined, "2048Mi", "2Gi"],
  ] as const)("%s written %s becomes %s as %s", (resource, current, value, expected) => {
    expect(formatInStyleOf(parseQuantity(value), resource, current)).toBe(expected);
  });
});
