import { InputError } from "../domain/index.js";
import type { OperatorControls } from "../pipeline/index.js";
import { parseDuration } from "../policy/index.js";

/**
 * The operator's settings for every repository the installation serves (SPEC §10
 * "Organisations"), from the server's environment. Pure: the environment in, the settings out;
 * a bad value is an InputError naming the variable, the value and the fix.
 */
export interface OperatorSettings {
  /** RIGHTSIZE_PAUSE: set, every proposal is paused (true, or the reason replies quote). */
  pause?: true | string;
  /** RIGHTSIZE_ONBOARDING: false skips the onboarding pull request everywhere. */
  onboarding: boolean;
  /** RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR: new pull requests per installation and clock hour; 0 for no limit. */
  maxPullRequestsPerHour: number;
  /** RIGHTSIZE_SCHEDULE_SPREAD: scheduled scans start within this many minutes after their cron; 0 for none. */
  scheduleSpreadMinutes: number;
}

export const DEFAULT_MAX_PULL_REQUESTS_PER_HOUR = 50;
export const DEFAULT_SCHEDULE_SPREAD = "2h";

export const DEFAULT_SETTINGS: OperatorSettings = { onboarding: true, maxPullRequestsPerHour: DEFAULT_MAX_PULL_REQUESTS_PER_HOUR, scheduleSpreadMinutes: 120 };

export function readOperatorSettings(env: Readonly<Record<string, string | undefined>>): OperatorSettings {
  const settings: OperatorSettings = { ...DEFAULT_SETTINGS };
  const pause = env.RIGHTSIZE_PAUSE?.trim();
  if (pause && pause !== "false") settings.pause = pause === "true" ? true : pause;
  const onboarding = env.RIGHTSIZE_ONBOARDING?.trim();
  if (onboarding !== undefined && onboarding !== "") {
    if (onboarding !== "true" && onboarding !== "false") throw new InputError(`RIGHTSIZE_ONBOARDING is "${onboarding}"; set true or false (default true)`);
    settings.onboarding = onboarding === "true";
  }
  const perHour = env.RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR?.trim();
  if (perHour !== undefined && perHour !== "") {
    const count = Number(perHour);
    if (!/^\d+$/.test(perHour) || !Number.isSafeInteger(count)) {
      throw new InputError(`RIGHTSIZE_MAX_PULL_REQUESTS_PER_HOUR is "${perHour}"; set a whole number of pull requests, 0 for no limit (default ${DEFAULT_MAX_PULL_REQUESTS_PER_HOUR})`);
    }
    settings.maxPullRequestsPerHour = count;
  }
  const spread = env.RIGHTSIZE_SCHEDULE_SPREAD?.trim();
  if (spread !== undefined && spread !== "") {
    const parsed = parseDuration(spread);
    if (!parsed || parsed.seconds > 86_400) throw new InputError(`RIGHTSIZE_SCHEDULE_SPREAD is "${spread}"; set a duration up to 24h such as 90m or 2h, 0 for none (default ${DEFAULT_SCHEDULE_SPREAD})`);
    settings.scheduleSpreadMinutes = Math.floor(parsed.seconds / 60);
  }
  return settings;
}

/** The operator's part of the organisation controls, with where each switch is. */
export function operatorControls(settings: OperatorSettings): OperatorControls {
  return {
    ...(settings.pause !== undefined ? { pause: settings.pause } : {}),
    onboarding: settings.onboarding,
    pauseSetting: "the server's RIGHTSIZE_PAUSE",
    onboardingSetting: "the server's RIGHTSIZE_ONBOARDING=false",
  };
}
