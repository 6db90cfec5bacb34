/**
 * Every hidden marker rightsize writes, in one place (SPEC §8: GitHub is the only state store).
 * A marker is an HTML comment GitHub does not render; it counts only in a comment, issue or pull
 * request rightsize wrote (`writtenByRightsize`), so a person pasting one changes nothing. The
 * proposal's own state marker, which carries data, is defined beside its schema (`state.ts`).
 */
export const MARKERS = {
  /** Said once when a person closes a proposal: what rightsize will and will not do now. */
  declined: "<!-- rightsize:declined -->",
  /** Said once when someone else's commits are on a rightsize branch. */
  foreignPush: "<!-- rightsize:foreign-push -->",
  /** Said once when a closed proposal's branch is left in place because it holds someone else's commits. */
  branchKept: "<!-- rightsize:branch-kept -->",
  /** Said once when the default branch conflicts with a branch someone else took over. */
  conflictLeft: "<!-- rightsize:conflict-left -->",
  /** The check after merge, said once. */
  verification: "<!-- rightsize:verification -->",
  /** "The merged change never rolled out", said once. */
  noRollout: "<!-- rightsize:no-rollout -->",
  /** The dashboard issue. */
  dashboard: "<!-- rightsize:dashboard -->",
  /** The "fix the policy file" issue. */
  policyIssue: "<!-- rightsize:policy-issue -->",
  /** A reply to `/rightsize doctor`, which the dashboard links. */
  doctor: "<!-- rightsize:doctor -->",
  /**
   * The onboarding pull request ("Configure rightsize"), on the branch `rightsize/onboarding`:
   * open, it waits for a decision; merged, the repository is on; closed unmerged, "not here"
   * (no other one unless `/rightsize onboard` asks). It carries no proposal state.
   */
  onboarding: "<!-- rightsize:onboarding -->",
} as const;

/**
 * What the last full scan depended on (`scan/rescan.ts`), kept in the dashboard's body: the next
 * scan with the same digest has nothing to do. `stepsPending`: a merged step was inside its
 * fresh window, so the next scan runs in full whatever the digest.
 */
export interface ScanMarker {
  tip: string;
  digest: string;
  stepsPending: boolean;
}

const SCAN = /<!-- rightsize:scan ([0-9a-f]{40}) ([0-9a-f]{32})( steps-pending)? -->/g;

export function scanMarker(scan: ScanMarker): string {
  return `<!-- rightsize:scan ${scan.tip} ${scan.digest}${scan.stepsPending ? " steps-pending" : ""} -->`;
}

/** The last scan marker of a body rightsize wrote (the caller checks the author). */
export function parseScanMarker(body: string): ScanMarker | undefined {
  const match = [...body.matchAll(SCAN)].pop();
  return match ? { tip: match[1]!, digest: match[2]!, stepsPending: match[3] !== undefined } : undefined;
}

const REPLY = /<!-- rightsize:reply (\d+) -->/;

/** The marker that ties a reply to the comment it answers: a repeated delivery finds it and stops. */
export function replyMarker(commentId: number): string {
  return `<!-- rightsize:reply ${commentId} -->`;
}

/** The comment a reply answers, from its marker. */
export function answeredCommentId(body: string | null | undefined): number | undefined {
  const match = REPLY.exec(body ?? "");
  return match ? Number(match[1]) : undefined;
}

/** The reply marker of a text, to keep it when a long reply is cut. */
export function replyMarkerOf(text: string): string {
  return REPLY.exec(text)?.[0] ?? "";
}

/** A dashboard row: its checkbox asks for a fresh proposal of the workload `key` (`*`: all). */
export function dashboardRow(text: string, key: string): string {
  return `- [ ] ${text} <!-- rightsize:row ${key} -->`;
}

/** The workload keys whose boxes are ticked in a dashboard body. */
export function tickedRows(body: string): string[] {
  return [...body.matchAll(/^- \[[xX]\] .*<!-- rightsize:row (\S+) -->$/gm)].map((match) => match[1]!);
}

/** The dashboard body with every box unticked. */
export function untickAll(body: string): string {
  return body.replace(/^- \[[xX]\] (.*<!-- rightsize:row \S+ -->)$/gm, "- [ ] $1");
}
