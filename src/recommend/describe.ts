import { formatCpu, formatMemory, isMultipleOfSuffix, type Quantity, type ResourceName } from "../domain/index.js";

const MILLI = 1_000_000n;
const MIB = 1024n ** 2n * 1_000_000_000n;

/**
 * A quantity as a reviewer reads it in a reason: exact canonical text when it has one
 * (`207m`, `288Mi`, `2`), else one decimal of millicores or MiB (`206.5m`, `1228.8Mi`).
 */
export function describeQuantity(value: Quantity, resource: ResourceName): string {
  if (resource === "cpu") return isMultipleOfSuffix(value.nanos, "m") ? formatCpu(value) : `${decimal(value.nanos, MILLI, 1)}m`;
  return isMultipleOfSuffix(value.nanos, "Mi") ? formatMemory(value) : `${decimal(value.nanos, MIB, 1)}Mi`;
}

function decimal(nanos: bigint, unit: bigint, digits: number): string {
  return trimZeros((Number(nanos) / Number(unit)).toFixed(digits));
}

/** `1.50` → `1.5`, `2.0` → `2`: what text.replace(/\.?0+$/, "") does to a decimal, without the regular expression. */
export function trimZeros(text: string): string {
  if (!text.includes(".")) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === ZERO) end--;
  if (end === text.length) return text;
  if (text.charCodeAt(end - 1) === DOT) end--;
  return text.slice(0, end);
}

const ZERO = 48;
const DOT = 46;

/** `+16.7%`, `−58%`: signed, at most one decimal, with a real minus sign. */
export function describePercent(percent: number): string {
  const rounded = roundPercent(percent);
  const magnitude = trimZeros(Math.abs(rounded).toFixed(1));
  return `${rounded < 0 ? "−" : "+"}${magnitude}%`;
}

/** One decimal, halves away from zero (−43.75 → −43.8), so a decrease reads like the same increase. */
export function roundPercent(percent: number): number {
  const rounded = (Math.sign(percent) * Math.round(Math.abs(percent) * 10)) / 10;
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** `7d`, `36h`, `15m`: the window length in its largest whole-ish unit. */
export function describeDuration(seconds: number): string {
  if (seconds >= 86_400) return `${trimZeros((seconds / 86_400).toFixed(1))}d`;
  if (seconds >= 3_600) return `${trimZeros((seconds / 3_600).toFixed(1))}h`;
  return `${trimZeros((seconds / 60).toFixed(1))}m`;
}

/** `2026-11-20T03:12Z`: the minute is precise enough for evidence in a sentence. */
export function describeTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16)}Z`;
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

export function describeRatio(ratio: number): string {
  return `${trimZeros((ratio * 100).toFixed(1))}%`;
}

/** `20,160`: digits grouped by thousands, independent of the locale. */
export function thousands(count: number): string {
  const digits = String(count);
  if (!Number.isSafeInteger(count) || count < 0) return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  let text = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let index = text.length; index < digits.length; index += 3) text += `,${digits.slice(index, index + 3)}`;
  return text;
}

const MI = 1024 ** 2;
const GI = 1024 ** 3;

/** `~90Mi/day`, `~12m/day`: a slope in two significant digits, for a sentence. */
export function describeRate(perDay: number, resource: ResourceName): string {
  const magnitude = Math.abs(perDay);
  const sign = perDay < 0 ? "−" : "";
  if (resource === "cpu") {
    return magnitude >= 1 ? `~${sign}${significant(magnitude)} cores/day` : `~${sign}${significant(magnitude * 1000)}m/day`;
  }
  if (magnitude >= GI) return `~${sign}${significant(magnitude / GI)}Gi/day`;
  if (magnitude >= MI) return `~${sign}${significant(magnitude / MI)}Mi/day`;
  return `~${sign}${significant(magnitude / 1024)}Ki/day`;
}

function significant(value: number): string {
  if (value === 0) return "0";
  const digits = value >= 10 ? 0 : value >= 1 ? 1 : 2;
  return trimZeros(value.toFixed(digits));
}

/** `−12.34 USD`, `+3.10 USD`: a monthly cost change (SPEC §11), cents, with a real minus sign. */
export function describeMonthlyCost(amount: number, currency: string): string {
  const cents = Math.round(Math.abs(amount) * 100) / 100;
  const sign = cents === 0 ? "" : amount < 0 ? "−" : "+";
  return `${sign}${cents.toFixed(2)} ${currency}`.trimEnd();
}
