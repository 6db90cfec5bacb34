import { formatCpu, formatMemory, type Quantity, type ResourceName } from "../domain/index.js";

const MILLI = 1_000_000n;
const MIB = 1024n ** 2n * 1_000_000_000n;

/**
 * A quantity as a reviewer reads it in a reason: exact canonical text when it has one
 * (`207m`, `288Mi`, `2`), else one decimal of millicores or MiB (`206.5m`, `1228.8Mi`).
 */
export function describeQuantity(value: Quantity, resource: ResourceName): string {
  if (resource === "cpu") return value.nanos % MILLI === 0n ? formatCpu(value) : `${decimal(value.nanos, MILLI, 1)}m`;
  return value.nanos % MIB === 0n ? formatMemory(value) : `${decimal(value.nanos, MIB, 1)}Mi`;
}

function decimal(nanos: bigint, unit: bigint, digits: number): string {
  return trimZeros((Number(nanos) / Number(unit)).toFixed(digits));
}

function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

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
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
