import { z } from "zod";
import { writtenByRightsize, type GitHubRepository } from "../github/client.js";

/**
 * The hidden marker at the end of every bot PR body (SPEC §8). GitHub is the only state store:
 * the branch name finds the PR, this marker says what the PR proposed, so a later run can tell
 * "same proposal" from "new values" and honour a declined proposal without a database.
 * The payload is base64url JSON because HTML comments cannot safely hold arbitrary text.
 */
export const ProposalStateSchema = z.object({
  version: z.literal(1),
  branch: z.string(),
  workloads: z.array(
    z.object({
      key: z.string(),
      inputsDigest: z.string(),
      containers: z.record(z.string(), z.object({ cpu: z.string().optional(), memory: z.string().optional() })),
    }),
  ),
  /**
   * `/rightsize ignore`: workload key → the containers left out of later proposals (`*`: the
   * whole workload). Carried from PR to PR of the branch until `/rightsize unignore`.
   */
  ignored: z.record(z.string(), z.array(z.string())).optional(),
  /**
   * The commit of the default branch the proposal was built on, and the files it changes: a push
   * to the default branch tells from these alone which proposals it may conflict with (one
   * comparison per base, not one per pull request).
   */
  base: z.string().optional(),
  files: z.array(z.string()).optional(),
  /** Set when the pull request merged: what the after-merge check starts from. */
  merged: z.object({ at: z.string(), commit: z.string() }).optional(),
  /** The check after merge (SPEC §8): when the rollout was first seen, and what was said. */
  verification: z
    .object({
      rolledOutAt: z.string().optional(),
      checkedAt: z.string().optional(),
      verdict: z.enum(["fits", "tight", "wrong"]).optional(),
      /** The "never rolled out" notice was given. */
      noRolloutReported: z.boolean().optional(),
    })
    .optional(),
  /**
   * Not a "declined" (SPEC §8 applies to people closing rightsize's values): rightsize closed it
   * itself (ignore, refresh), or it was closed after someone else took the branch over.
   */
  closedBy: z.enum(["ignore", "refresh", "taken-over"]).optional(),
});

export type ProposalState = z.infer<typeof ProposalStateSchema>;

const MARKER_PATTERN = /<!-- rightsize:state ([A-Za-z0-9_-]+) -->/g;

export function renderStateMarker(state: ProposalState): string {
  return `<!-- rightsize:state ${Buffer.from(JSON.stringify(state)).toString("base64url")} -->`;
}

/**
 * The state of a PR body rightsize wrote, or undefined for a body without a valid marker. Only
 * the last marker counts: rightsize writes its own at the end, after any text quoted from a
 * manifest or a person, so an earlier look-alike is never read.
 */
export function parseStateMarker(body: string | null | undefined): ProposalState | undefined {
  const last = [...(body ?? "").matchAll(MARKER_PATTERN)].pop();
  if (!last) return undefined;
  try {
    const parsed = ProposalStateSchema.safeParse(JSON.parse(Buffer.from(last[1]!, "base64url").toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The state of a pull request, when rightsize wrote it (SPEC §9: markers count only in the app's own bodies). */
export function proposalStateOf(repository: GitHubRepository, pull: { body?: string | null; user?: { login?: string | null; type?: string | null } | null }): ProposalState | undefined {
  return writtenByRightsize(repository, pull.user) ? parseStateMarker(pull.body) : undefined;
}

/** The body with its (last) state marker replaced, or the marker appended when it had none. */
export function replaceStateMarker(body: string, state: ProposalState): string {
  const marker = renderStateMarker(state);
  const last = [...body.matchAll(MARKER_PATTERN)].pop();
  if (!last) return `${body.trimEnd()}\n\n${marker}\n`;
  return `${body.slice(0, last.index)}${marker}${body.slice(last.index + last[0].length)}`;
}
