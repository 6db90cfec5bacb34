import { code, prose, safeMarkdown } from "../../domain/index.js";
import { ONBOARDING_BRANCH, type OnboardingOutcome, type OrganizationControls } from "../../pipeline/index.js";

/**
 * What a command answers while every proposal is paused (SPEC §10 "Organisations"): who paused
 * it, where the switch is, the reason as given (escaped), and what still works. Pure.
 */
export function renderPaused(paused: NonNullable<OrganizationControls["paused"]>): string {
  const reason = paused.reason ? `: ${prose(paused.reason)}` : "";
  return `rightsize is paused for every repository here, by ${paused.by}${reason}. It opens and changes no pull request until the pause is lifted, so it did nothing; \`/rightsize help\`, \`/rightsize policy validate\`, \`/rightsize doctor\`, \`/rightsize explain\` and \`--dry-run\` still answer.`;
}

/** The answer to `/rightsize onboard`. Pure. */
export function renderOnboardOutcome(outcome: OnboardingOutcome, policyPath: string): { text: string; done: boolean } {
  switch (outcome.status) {
    case "configured":
      return { done: false, text: `rightsize found ${code(policyPath)} in this repository: it is configured already, so there is nothing to onboard (\`/rightsize policy validate\` checks the file).` };
    case "created":
      return { done: true, text: `rightsize opened #${outcome.number}: Configure rightsize. Merging it turns rightsize on here (\`mode: recommend\`: the dashboard issue, no pull request); closing it means "not here".` };
    case "updated":
      return { done: true, text: `rightsize brought #${outcome.number} (Configure rightsize) up to date with the default branch and current observations.` };
    case "unchanged":
      return { done: true, text: `rightsize's onboarding pull request #${outcome.number} is open and up to date.` };
    case "rate-limited":
      return { done: false, text: `rightsize did not open the onboarding pull request now: ${safeMarkdown(outcome.reason)}.` };
    case "foreign":
      return { done: false, text: `rightsize left ${code(ONBOARDING_BRANCH)} alone: ${safeMarkdown(outcome.reason)}. Merge or close #${outcome.number} yourself.` };
    case "onboarded":
    case "declined":
      // An explicit request reopens onboarding; these answer only scans.
      return { done: false, text: `rightsize's onboarding pull request #${outcome.number} was ${outcome.status === "onboarded" ? "merged" : "closed"}.` };
  }
}
