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
} as const;

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
