/**
 * A proposal's life (SPEC §8), written down as data: the phases a rightsize pull request goes
 * through, and what each event does to it. Pure: the follow-up reads the facts from GitHub (the
 * pull request, its marker, the branch's commits), asks these functions, and then acts. Every
 * sentence rightsize writes about what it will do next is one of these transitions.
 *
 *   open ──merged──▶ merged ──rollout seen──▶ live ──check after merge──▶ verified
 *     │ ╲──closed by a person──▶ declined        (scans honour it; an explicit request overrides it)
 *     │  ╲─closed by rightsize (ignore, nothing left)──▶ closed by rightsize
 *     ╰──someone else pushed──▶ taken over ──closed──▶ taken over (branch kept, never deleted)
 */
export type ProposalPhase = "open" | "taken-over" | "merged" | "live" | "verified" | "declined" | "closed-by-rightsize";

/** What is known of one rightsize pull request and its branch. */
export interface ProposalFacts {
  open: boolean;
  merged: boolean;
  /** rightsize closed it itself (`/rightsize ignore`, a refresh with nothing left to propose). */
  closedByRightsize: boolean;
  /** The branch holds a commit rightsize did not write; undefined when the branch is gone. */
  branch: "ours" | "foreign" | "gone";
  rolledOut: boolean;
  verified: boolean;
}

export function phaseOf(facts: ProposalFacts): ProposalPhase {
  if (facts.merged) return facts.verified ? "verified" : facts.rolledOut ? "live" : "merged";
  if (facts.branch === "foreign") return "taken-over";
  if (facts.open) return "open";
  return facts.closedByRightsize ? "closed-by-rightsize" : "declined";
}

/** What rightsize does on an event; each action is idempotent (a marker says it was done). */
export type FollowUpAction =
  /** Write the merge into the state marker (the check after merge starts from it). */
  | "record-merge"
  /** Delete the branch: it holds only rightsize's commits. */
  | "delete-branch"
  /** Say once what closing means: "not these values", and what brings a new proposal. */
  | "say-declined"
  /** Say once that the branch stays: it holds someone else's commits, which rightsize never deletes. */
  | "say-branch-kept"
  /** Say once that the branch is someone else's now, and what rightsize does from here. */
  | "say-taken-over";

export type ProposalEvent = { kind: "closed"; by: "person" | "rightsize" } | { kind: "pushed"; by: "person" | "rightsize" };

/**
 * The transitions. Closing: merged → recorded; unmerged → the branch goes only when it holds
 * rightsize's commits alone, and a person's close is a decline unless the branch was taken over
 * (then it is theirs, and rightsize says it keeps it). A person's push takes the branch over.
 */
export function followUp(facts: ProposalFacts, event: ProposalEvent): FollowUpAction[] {
  if (event.kind === "pushed") return event.by === "person" && facts.open && !facts.merged ? ["say-taken-over"] : [];
  if (facts.merged) return ["record-merge"];
  const branch: FollowUpAction[] = facts.branch === "ours" ? ["delete-branch"] : facts.branch === "foreign" ? ["say-branch-kept"] : [];
  if (event.by === "rightsize" || facts.closedByRightsize || facts.branch === "foreign") return branch;
  return [...branch, "say-declined"];
}
