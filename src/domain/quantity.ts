import { InputError } from "./errors.js";

/**
 * A Kubernetes resource quantity held exactly, as an integer count of nano-units
 * (nanocores for CPU, nanobytes for memory). Kubernetes itself never keeps more
 * precision than nano (it rounds finer values up), so every quantity it accepts
 * is exact here and arithmetic never drifts (`0.1 + 0.2` cores is `300m`).
 */
export interface Quantity {
  readonly nanos: bigint;
}

const NANOS_PER_UNIT = 1_000_000_000n;

const DECIMAL_SUFFIXES: Record<string, bigint> = {
  n: 1n,
  u: 1_000n,
  m: 1_000_000n,
  "": NANOS_PER_UNIT,
  k: NANOS_PER_UNIT * 10n ** 3n,
  M: NANOS_PER_UNIT * 10n ** 6n,
  G: NANOS_PER_UNIT * 10n ** 9n,
  T: NANOS_PER_UNIT * 10n ** 12n,
  P: NANOS_PER_UNIT * 10n ** 15n,
  E: NANOS_PER_UNIT * 10n ** 18n,
};

const BINARY_SUFFIXES: Record<string, bigint> = {
  Ki: NANOS_PER_UNIT * 2n ** 10n,
  Mi: NANOS_PER_UNIT * 2n ** 20n,
  Gi: NANOS_PER_UNIT * 2n ** 30n,
  Ti: NANOS_PER_UNIT * 2n ** 40n,
  Pi: NANOS_PER_UNIT * 2n ** 50n,
  Ei: NANOS_PER_UNIT * 2n ** 60n,
};

const SUFFIX_NANOS: Record<string, bigint> = { ...DECIMAL_SUFFIXES, ...BINARY_SUFFIXES };

// Kubernetes' quantity grammar: sign, digits with an optional fraction, then either a
// suffix (binary or decimal SI) or a decimal exponent (`1e3`, `12E6`).
const QUANTITY_PATTERN = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

export function parseQuantity(text: string, field = "quantity"): Quantity {
  const checked = checkQuantity(text);
  if (typeof checked === "string") throw new InputError(`${field}: ${checked}`, { field });
  const [, , number = "", exponent, suffix = ""] = checked;
  const [whole = "", fraction = ""] = number.split(".");
  const digits = BigInt((whole || "0") + fraction);
  let scaleNumerator = SUFFIX_NANOS[suffix] ?? NANOS_PER_UNIT;
  let scaleDenominator = 10n ** BigInt(fraction.length);
  if (exponent) {
    const power = Number(exponent.slice(1));
    if (power >= 0) scaleNumerator *= 10n ** BigInt(power);
    else scaleDenominator *= 10n ** BigInt(-power);
  }
  return { nanos: ceilDivide(digits * scaleNumerator, scaleDenominator) };
}

/** Whether parseQuantity accepts the text; without its arithmetic, for validating many fields. */
export function isQuantity(text: string): boolean {
  return typeof checkQuantity(text) !== "string";
}

const MAX_EXPONENT = 30;

/** The grammar match of a quantity rightsize accepts, or what is wrong with the text. */
function checkQuantity(text: string): RegExpExecArray | string {
  const trimmed = String(text).trim();
  const match = QUANTITY_PATTERN.exec(trimmed);
  if (!match) return `"${text}" is not a Kubernetes quantity; ${quantityHint(trimmed)}`;
  if (match[1] === "-") return `"${text}" is negative; requests and limits must be zero or more`;
  const exponent = match[3];
  if (exponent && Math.abs(Number(exponent.slice(1))) > MAX_EXPONENT) {
    return `"${text}" has an exponent out of range; use a suffix such as Gi or m`;
  }
  return match;
}

function quantityHint(text: string): string {
  const suffix = /^[+-]?[\d.]+(.*)$/.exec(text)?.[1];
  if (suffix) {
    const known = Object.keys(SUFFIX_NANOS).filter(Boolean);
    const close = known.find((candidate) => candidate.toLowerCase() === suffix.toLowerCase());
    if (close) return `the suffix "${suffix}" is case-sensitive, did you mean "${close}"?`;
    return `unknown suffix "${suffix}"; use one of m, k, M, G, T, Ki, Mi, Gi, Ti (e.g. "500m", "256Mi", "2")`;
  }
  return `expected a number with an optional suffix (e.g. "500m", "0.5", "256Mi", "1e3")`;
}

/** Integer division rounding up (both operands non-negative). */
export function ceilDivide(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return quotient * denominator === numerator ? quotient : quotient + 1n;
}

/** From a measured float (cores or bytes); rounds up to the next nano-unit. */
export function quantityFromNumber(value: number): Quantity {
  if (!Number.isFinite(value) || value < 0) {
    throw new InputError(`expected a finite non-negative number, got ${value}`);
  }
  return { nanos: decimalToNanosCeil(value) };
}

// Below this, value × 1e9 is within 0.5 of the exact product, so rounding it finds the same
// nearest nano-unit as the decimal expansion does (millions of cores: every CPU measurement).
const FLOAT_NANOS_LIMIT = 4_000_000;

function decimalToNanosCeil(value: number): bigint {
  // Round to the nearest nano-unit, then nudge up when rounding went down so the result is a ceiling.
  if (value < FLOAT_NANOS_LIMIT) {
    const nanos = Math.round(value * 1e9);
    return BigInt(nanos / 1e9 < value ? nanos + 1 : nanos);
  }
  // Whole numbers from 2^53 up convert exactly; toFixed would write 1e+21 in exponent form.
  if (value >= Number.MAX_SAFE_INTEGER) return BigInt(value) * NANOS_PER_UNIT;
  const fixed = value.toFixed(9);
  const [whole = "0", fraction = ""] = fixed.split(".");
  const nanos = BigInt(whole) * NANOS_PER_UNIT + BigInt(fraction.padEnd(9, "0"));
  return Number(nanos) / 1e9 < value ? nanos + 1n : nanos;
}

/** Whether two quantity texts mean the same amount (`1` and `1000m`); unparseable texts compare as text. */
export function isSameQuantity(a: string, b: string): boolean {
  try {
    return compareQuantities(parseQuantity(a), parseQuantity(b)) === 0;
  } catch {
    return a === b;
  }
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos };
}

export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  const nanos = a.nanos - b.nanos;
  return { nanos: nanos < 0n ? 0n : nanos };
}

export function maxQuantity(first: Quantity, ...rest: Quantity[]): Quantity {
  return rest.reduce((best, next) => (next.nanos > best.nanos ? next : best), first);
}

export function minQuantity(first: Quantity, ...rest: Quantity[]): Quantity {
  return rest.reduce((best, next) => (next.nanos < best.nanos ? next : best), first);
}

/** Multiplies by a decimal factor such as a safety margin (1.15), rounding up to a nano-unit. */
export function scaleQuantity(value: Quantity, factor: number): Quantity {
  if (!Number.isFinite(factor) || factor < 0) {
    throw new InputError(`scale factor must be a finite non-negative number, got ${factor}`);
  }
  const { numerator, denominator } = decimalFractionOf(factor);
  return { nanos: ceilDivide(value.nanos * numerator, denominator) };
}

// A run scales thousands of quantities by the same few margins and factors.
const fractions = new Map<number, { numerator: bigint; denominator: bigint }>();

function decimalFractionOf(value: number): { numerator: bigint; denominator: bigint } {
  let fraction = fractions.get(value);
  if (fraction === undefined) {
    fraction = decimalFraction(value);
    if (fractions.size < 1_000) fractions.set(value, fraction);
  }
  return fraction;
}

function decimalFraction(value: number): { numerator: bigint; denominator: bigint } {
  const text = value.toPrecision(15).replace(/\.?0+$/, "");
  if (/e/i.test(text)) {
    const [mantissa = "0", power = "0"] = text.split(/e/i);
    const base = decimalFraction(Number(mantissa));
    const exponent = Number(power);
    return exponent >= 0
      ? { numerator: base.numerator * 10n ** BigInt(exponent), denominator: base.denominator }
      : { numerator: base.numerator, denominator: base.denominator * 10n ** BigInt(-exponent) };
  }
  const [whole = "0", fraction = ""] = text.split(".");
  return { numerator: BigInt(whole + fraction), denominator: 10n ** BigInt(fraction.length) };
}

/** Rounds up to the next multiple of `step` (e.g. 5m, 16Mi); a zero step leaves the value. */
export function roundUpToStep(value: Quantity, step: Quantity): Quantity {
  if (step.nanos === 0n) return value;
  return { nanos: ceilDivide(value.nanos, step.nanos) * step.nanos };
}

/** Signed change from `from` to `to` in percent of `from` (a float, for display and thresholds). */
export function percentChange(from: Quantity, to: Quantity): number {
  if (from.nanos === 0n) return to.nanos === 0n ? 0 : Infinity;
  return (Number(to.nanos - from.nanos) / Number(from.nanos)) * 100;
}

export function toNumber(value: Quantity): number {
  return Number(value.nanos) / 1e9;
}

export type QuantityUnit =
  | "plain"
  | "n" | "u" | "m"
  | "k" | "M" | "G" | "T" | "P" | "E"
  | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei";

/** Each unit, then the finer units of its family that can express what it cannot, in order. */
const UNIT_AND_FINER: Record<Exclude<QuantityUnit, "plain">, readonly QuantityUnit[]> = {
  n: ["n"],
  u: ["u", "n"],
  m: ["m", "u", "n"],
  k: ["k"],
  M: ["M", "k"],
  G: ["G", "M", "k"],
  T: ["T", "G", "M", "k"],
  P: ["P", "T", "G", "M", "k"],
  E: ["E", "P", "T", "G", "M", "k"],
  Ki: ["Ki"],
  Mi: ["Mi", "Ki"],
  Gi: ["Gi", "Mi", "Ki"],
  Ti: ["Ti", "Gi", "Mi", "Ki"],
  Pi: ["Pi", "Ti", "Gi", "Mi", "Ki"],
  Ei: ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"],
};

/**
 * Formats in the requested unit when the value is a whole number of it, else in the next
 * finer unit of the same family that is exact, else as a plain decimal; so
 * `parseQuantity(formatQuantity(q, unit))` always equals `q`. `plain` writes `2`, `0.5`,
 * `1073741824`: the style of manifests that give cores or bytes without a suffix.
 */
export function formatQuantity(value: Quantity, unit: QuantityUnit): string {
  return formatCounted(value.nanos, unit) ?? formatQuantityExact(value, unit);
}

/** formatQuantity in bigint arithmetic throughout: the definition the fast path is tested against. */
export function formatQuantityExact(value: Quantity, unit: QuantityUnit): string {
  if (unit !== "plain") {
    for (const candidate of UNIT_AND_FINER[unit]) {
      const size = SUFFIX_NANOS[candidate]!;
      if (value.nanos % size === 0n) return `${value.nanos / size}${candidate}`;
    }
  }
  return formatPlainDecimal(value.nanos);
}

function formatPlainDecimal(nanos: bigint): string {
  const whole = nanos / NANOS_PER_UNIT;
  const fraction = (nanos % NANOS_PER_UNIT).toString().padStart(9, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

/*
 * The fast path. Formatting runs a dozen times per container (records, reasons), and bigint
 * division allocates at every step. Almost every quantity is an exact double in one of two
 * counts: nano-units (below 2^53 nanos: every CPU value up to 9 million cores), or whole units
 * (a whole number of bytes below 2^53: memory). In those counts the same divisions are exact in
 * floating point (integers below 2^53, and sizes that divide them), so the text is the same.
 * Anything else (a byte count with a fraction of a byte, a sub-byte unit for memory) returns
 * undefined and takes the bigint path.
 */
const MAX_SAFE_NANOS = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_SAFE_WHOLE_NANOS = MAX_SAFE_NANOS * NANOS_PER_UNIT;
/** Each suffix's size in nano-units, as a double (inexact only for P and E, which exceed every safe count). */
const SIZE_IN_NANOS: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(SUFFIX_NANOS).map(([suffix, size]) => [suffix, Number(size)]));
/** Each suffix's size in whole units (k and above, Ki and above), exactly. */
const SIZE_IN_UNITS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(SUFFIX_NANOS)
    .filter(([, size]) => size >= NANOS_PER_UNIT && size % NANOS_PER_UNIT === 0n)
    .map(([suffix, size]) => [suffix, Number(size / NANOS_PER_UNIT)]),
);

/** How many nano-units (scale 1) or whole units (scale 1e9) a quantity is, when that count is an exact double. */
function countOf(nanos: bigint): { count: number; scale: 1 | 1e9 } | undefined {
  if (nanos <= MAX_SAFE_NANOS) return nanos < 0n ? undefined : { count: Number(nanos), scale: 1 };
  if (nanos <= MAX_SAFE_WHOLE_NANOS && nanos % NANOS_PER_UNIT === 0n) return { count: Number(nanos / NANOS_PER_UNIT), scale: 1e9 };
  return undefined;
}

/** Whether nanos is a multiple of a suffix's size; undefined when the fast path cannot tell. */
function isMultipleOf(counted: { count: number; scale: 1 | 1e9 }, suffix: string): boolean | undefined {
  if (counted.scale === 1) return counted.count % SIZE_IN_NANOS[suffix]! === 0;
  const size = SIZE_IN_UNITS[suffix];
  // A whole number of units is a whole number of every sub-unit (n, u, m), but that count may not be exact.
  return size === undefined ? undefined : counted.count % size === 0;
}

function formatCounted(nanos: bigint, unit: QuantityUnit, counted = countOf(nanos)): string | undefined {
  if (counted === undefined) return undefined;
  const { count, scale } = counted;
  if (unit !== "plain") {
    for (const candidate of UNIT_AND_FINER[unit]) {
      const multiple = isMultipleOf(counted, candidate);
      if (multiple === undefined) return undefined;
      if (multiple) return `${count / (scale === 1 ? SIZE_IN_NANOS[candidate]! : SIZE_IN_UNITS[candidate]!)}${candidate}`;
    }
  }
  if (scale === 1e9) return `${count}`;
  const fraction = count % 1e9;
  const whole = (count - fraction) / 1e9;
  return fraction === 0 ? `${whole}` : `${whole}.${String(fraction).padStart(9, "0").replace(/0+$/, "")}`;
}

/** The unit a manifest author used, so a rewritten value keeps their style. */
export function unitOf(text: string): QuantityUnit {
  let unit = units.get(text);
  if (unit === undefined) {
    const match = QUANTITY_PATTERN.exec(String(text).trim());
    const suffix = match?.[4];
    unit = suffix ? (suffix as QuantityUnit) : "plain";
    // The same few values ("500m", "8Gi") recur across every workload of a snapshot.
    if (units.size < 10_000) units.set(text, unit);
  }
  return unit;
}

const units = new Map<string, QuantityUnit>();

/** nanos % (the suffix's size) === 0 (suffix "" for whole units), in floating point when the count is an exact double. */
export function isMultipleOfSuffix(nanos: bigint, suffix: string): boolean {
  const counted = countOf(nanos);
  return (counted && isMultipleOf(counted, suffix)) ?? nanos % SUFFIX_NANOS[suffix]! === 0n;
}

/** Canonical display: millicores below one core and binary suffixes for memory. */
export function formatCpu(value: Quantity): string {
  const counted = countOf(value.nanos);
  if (counted !== undefined) {
    const text = formatCounted(value.nanos, isMultipleOf(counted, "") ? "plain" : "m", counted);
    if (text !== undefined) return text;
  }
  return formatCpuExact(value);
}

export function formatCpuExact(value: Quantity): string {
  return formatQuantityExact(value, value.nanos % NANOS_PER_UNIT === 0n ? "plain" : "m");
}

const MEMORY_UNITS = ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"] as const;

export function formatMemory(value: Quantity): string {
  const counted = countOf(value.nanos);
  if (counted !== undefined) {
    const sizes = counted.scale === 1 ? SIZE_IN_NANOS : SIZE_IN_UNITS;
    let unit: QuantityUnit = "plain";
    for (const candidate of MEMORY_UNITS) {
      const size = sizes[candidate]!;
      if (counted.count >= size && counted.count % size === 0) {
        unit = candidate;
        break;
      }
    }
    const text = formatCounted(value.nanos, unit, counted);
    if (text !== undefined) return text;
  }
  // Not a whole number of bytes (a margin's product): no binary suffix divides it.
  if (value.nanos % NANOS_PER_UNIT !== 0n) return formatPlainDecimal(value.nanos);
  return formatMemoryExact(value);
}

export function formatMemoryExact(value: Quantity): string {
  for (const unit of MEMORY_UNITS) {
    const size = SUFFIX_NANOS[unit]!;
    if (value.nanos >= size && value.nanos % size === 0n) return formatQuantityExact(value, unit);
  }
  return formatQuantityExact(value, "plain");
}

/**
 * SPEC §5: keep the manifest's unit style where it expresses the value exactly (`1Gi`, `2`,
 * `0.5`), otherwise the canonical style for the resource (millicores, binary suffixes).
 */
export function formatInStyleOf(value: Quantity, resource: "cpu" | "memory", current?: string): string {
  const unit = current === undefined ? undefined : unitOf(current);
  if (unit !== undefined && unit !== "plain" && isMultipleOfSuffix(value.nanos, unit)) return formatQuantity(value, unit);
  if (unit === "plain") {
    const wholeUnits = isMultipleOfSuffix(value.nanos, "");
    const decimalCores = resource === "cpu" && current!.includes(".") && isMultipleOfSuffix(value.nanos, "m");
    if (wholeUnits || decimalCores) return formatQuantity(value, "plain");
  }
  return resource === "cpu" ? formatCpu(value) : formatMemory(value);
}
