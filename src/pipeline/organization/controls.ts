import { code, InputError } from "../../domain/index.js";
import { DEFAULT_POLICY_PATH, type Policy } from "../../policy/index.js";
import type { GitHubClient } from "../github/client.js";
import { readRawFile, readRepositoryPolicy } from "../policy/github.js";

/** What the operator of this installation set for every repository (the server's environment). */
export interface OperatorControls {
  /** Set: every proposal is paused; true, or the reason. */
  pause?: true | string;
  /** False: no onboarding pull request anywhere (repositories without a policy run on the defaults at once). */
  onboarding: boolean;
  /** Where the operator's settings are, for messages (e.g. "the server's RIGHTSIZE_PAUSE"). */
  pauseSetting: string;
  onboardingSetting: string;
}

/**
 * SPEC §10 "Organisations": the switches that hold for every repository of an organisation at
 * once, from the operator's settings and the organisation's `.github` repository's policy
 * (`organization`). The operator's pause wins; either may skip onboarding.
 */
export interface OrganizationControls {
  /** Every proposal is paused: who paused it (markdown: where the switch is) and why (as given: escape it). */
  paused?: { by: string; reason?: string };
  /** Whether a repository without its own policy file gets the onboarding pull request first; when not, who said so. */
  onboarding: { enabled: true } | { enabled: false; skippedBy: string };
  /** The organisation's `.github` repository has a policy file (the onboarding policy extends it). */
  organizationPolicy: boolean;
}

/** The organisation's policy file, as messages name it. */
function organizationPolicyName(owner: string): string {
  return `${owner}/.github:${DEFAULT_POLICY_PATH}`;
}

/**
 * The controls from both sources. Pure: the organisation's policy (when its `.github`
 * repository has one that loads) and the operator's settings in, the decision out.
 */
export function resolveControls(owner: string, operator: OperatorControls, organization: Policy["organization"] | undefined, organizationPolicy: boolean): OrganizationControls {
  const inOrganization = (field: string) => `the organisation's policy (${code(organizationPolicyName(owner))}, \`organization.${field}\`)`;
  const paused =
    operator.pause !== undefined
      ? { by: `the operator of this rightsize installation (${operator.pauseSetting})`, ...(operator.pause === true ? {} : { reason: operator.pause }) }
      : organization && organization.pause !== false
        ? { by: inOrganization("pause"), ...(organization.pause === true ? {} : { reason: organization.pause }) }
        : undefined;
  const onboarding: OrganizationControls["onboarding"] = !operator.onboarding
    ? { enabled: false, skippedBy: `the operator of this rightsize installation (${operator.onboardingSetting})` }
    : organization && !organization.onboarding
      ? { enabled: false, skippedBy: inOrganization("onboarding") }
      : { enabled: true };
  return { ...(paused ? { paused } : {}), onboarding, organizationPolicy };
}

/**
 * Reads the organisation's `.github` policy (one request; its `_extends` bases when it has some)
 * and resolves the controls. An organisation policy that does not load controls nothing here:
 * its own problems are reported where it is used (the repositories that run on it).
 */
export async function readOrganizationControls(octokit: GitHubClient, owner: string, operator: OperatorControls): Promise<OrganizationControls> {
  const organization = { owner, repo: ".github" };
  const text = await readRawFile(octokit, { ...organization, path: DEFAULT_POLICY_PATH });
  if (text === undefined) return resolveControls(owner, operator, undefined, false);
  try {
    const loaded = await readRepositoryPolicy(octokit, organization, text);
    return resolveControls(owner, operator, loaded.policy.organization, true);
  } catch (error) {
    if (error instanceof InputError) return resolveControls(owner, operator, undefined, true);
    throw error;
  }
}
