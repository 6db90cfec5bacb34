import { CURRENT_API_VERSION, POLICY_KIND } from "../../policy/index.js";

export interface OnboardingPolicyInput {
  /** The organisation's `.github` repository has a policy: the new file extends it (its targets, clusters and prices). */
  extendsOrganization: boolean;
  /** The clusters this installation observes (the operator's clusters file), by name. */
  clusters: readonly string[];
}

/**
 * The `.github/rightsize.yml` the onboarding pull request adds (SPEC §10 "Organisations"): the
 * organisation's defaults when there are some, else every YAML file of the repository mapped to
 * the cluster this installation observes, in `mode: recommend` (reports, no pull request). Pure.
 */
export function onboardingPolicyText(input: OnboardingPolicyInput): string {
  const lines = [
    "# rightsize policy, added by the \"Configure rightsize\" pull request. Every setting: `rightsize policy schema`",
    "# or the README's \"The policy file\".",
  ];
  if (input.extendsOrganization) lines.push("_extends: .github                # the organisation's defaults (its .github repository)");
  lines.push(
    `apiVersion: ${CURRENT_API_VERSION}`,
    `kind: ${POLICY_KIND}`,
    "# recommend: every scan brings the \"rightsize dashboard\" issue up to date with what rightsize would",
    "# propose, and opens no pull request. propose: one pull request per workload it can right-size.",
    "mode: recommend",
  );
  const [first, ...others] = input.clusters;
  if (!input.extendsOrganization && first !== undefined) {
    if (others.length > 0) lines.push(`# This rightsize installation observes ${input.clusters.join(", ")}: name the cluster these manifests run in.`);
    lines.push("targets:", '  - paths: ["**/*.yaml", "**/*.yml"]', `    cluster: ${yamlScalar(first)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A cluster name as a YAML scalar: plain when YAML reads it back as the same string, else double-quoted (JSON is valid YAML). */
function yamlScalar(text: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|~|[0-9._-]+)$/i.test(text) ? text : JSON.stringify(text);
}
