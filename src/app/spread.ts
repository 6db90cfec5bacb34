import { createHash } from "node:crypto";
import { CronExpressionParser, CronFieldCollection } from "cron-parser";

/** Firings looked at to find a schedule's shortest gap (two years of a weekly cron, a hundred of a yearly one). */
const FIRINGS = 100;
/** Gaps already found, by cron: repositories mostly share a few crons, and walking one takes milliseconds. */
const gaps = new Map<string, number>();
const DAY_MINUTES = 24 * 60;

/**
 * The cron a repository's scheduled scan runs on (SPEC §10 "Organisations": scans are spread over
 * their window): its policy's cron shifted later by a deterministic number of minutes, the same
 * on every replica and every restart, from a hash of the repository's full name, below both the
 * operator's spread and the cron's shortest gap between firings (an hourly cron stays hourly).
 * 1,000 repositories on "0 6 * * 1" with a 2h spread fire over 120 minutes, about 8 a minute.
 * Pure.
 */
export function spreadSchedule(cron: string, repository: string, spreadMinutes: number): string {
  const window = Math.min(Math.floor(spreadMinutes), shortestGapMinutes(cron));
  if (window <= 1) return cron;
  return shiftCron(cron, scheduleOffsetMinutes(repository, window));
}

/** A repository's offset in a window of `windowMinutes`: the first 32 bits of SHA-256 of its full name, modulo the window. */
export function scheduleOffsetMinutes(repository: string, windowMinutes: number): number {
  if (windowMinutes <= 1) return 0;
  return createHash("sha256").update(repository.toLowerCase()).digest().readUInt32BE(0) % windowMinutes;
}

/** The shortest time between two firings of a cron (UTC), in minutes, over its next firings from a fixed date. */
export function shortestGapMinutes(cron: string): number {
  const known = gaps.get(cron);
  if (known !== undefined) return known;
  const expression = CronExpressionParser.parse(cron, { currentDate: new Date("2026-01-01T00:00:00Z"), tz: "UTC" });
  let previous = expression.next().getTime();
  let shortest = Number.POSITIVE_INFINITY;
  for (let index = 1; index < FIRINGS && shortest > 1; index++) {
    const next = expression.next().getTime();
    shortest = Math.min(shortest, (next - previous) / 60_000);
    previous = next;
  }
  if (gaps.size >= 1_000) gaps.delete(gaps.keys().next().value!);
  gaps.set(cron, shortest);
  return shortest;
}

/**
 * The cron shifted `minutes` later (0 ≤ minutes < a day). Defined for crons that fire at one
 * minute of the hour: the minute and hours move, and a firing pushed past midnight moves to the
 * next weekday when only the weekday is restricted. Where the next day cannot be written (a day
 * of the month, a month, some hours crossing midnight and others not), the shift is cut so that
 * no firing crosses midnight. A cron firing at several minutes of an hour is returned as it is.
 */
export function shiftCron(cron: string, minutes: number): string {
  const { fields } = CronExpressionParser.parse(cron, { tz: "UTC" });
  const [minute, ...otherMinutes] = fields.minute.values;
  if (minutes <= 0 || minute === undefined || otherMinutes.length > 0) return cron;
  const hours = fields.hour.values;
  const latest = Math.max(...hours) * 60 + minute;
  const anyDay = fields.dayOfMonth.isWildcard && fields.month.isWildcard && fields.dayOfWeek.isWildcard;
  const weekdaysOnly = fields.dayOfMonth.isWildcard && fields.month.isWildcard && !fields.dayOfWeek.isWildcard;
  const crosses = (shift: number) => hours.map((hour) => hour * 60 + minute + shift >= DAY_MINUTES);
  let shift = minutes % DAY_MINUTES;
  const crossing = crosses(shift);
  const all = crossing.every(Boolean);
  if (crossing.some(Boolean) && !anyDay && !(weekdaysOnly && all)) shift = shift % (DAY_MINUTES - latest);
  const moved = hours.map((hour) => hour * 60 + minute + shift);
  const override: Parameters<typeof CronFieldCollection.from>[1] = {
    minute: [((minute + shift) % 60) as never],
    hour: [...new Set(moved.map((at) => Math.floor(at / 60) % 24))].sort((a, b) => a - b) as never[],
  };
  if (!anyDay && moved.every((at) => at >= DAY_MINUTES)) {
    override.dayOfWeek = [...new Set(fields.dayOfWeek.values.map((day) => ((Number(day) % 7) + 1) % 7))].sort((a, b) => a - b) as never[];
  }
  return CronFieldCollection.from(fields, override).stringify();
}
