/** A whole number of seconds in the largest unit that divides it: `7d`, `36h`, `20m`, `90s`. */
export function describeSeconds(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole > 0 && whole % 86_400 === 0) return `${whole / 86_400}d`;
  if (whole > 0 && whole % 3600 === 0) return `${whole / 3600}h`;
  if (whole > 0 && whole % 60 === 0) return `${whole / 60}m`;
  return `${whole}s`;
}
