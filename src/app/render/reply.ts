import { code } from "../../domain/index.js";
import { GITHUB_BODY_LIMIT, replyMarker, replyMarkerOf } from "../../pipeline/index.js";

export interface CommandOutcome {
  /** The command line as the user wrote it. */
  line: string;
  /** What happened, in markdown. */
  text: string;
}

/**
 * One reply per comment (SPEC §9): each command's outcome under its own line. Outcome texts
 * start with "rightsize …", so a single one reads as a sentence after the mention.
 */
export function renderReply(author: string, outcomes: readonly CommandOutcome[], commentId?: number): string {
  const parts =
    outcomes.length === 1
      ? [`@${author} ${outcomes[0]!.text}`]
      : [`@${author} rightsize ran ${outcomes.length} commands:`, ...outcomes.map((outcome) => `> ${code(outcome.line)}\n\n${outcome.text}`)];
  return fitComment(`${parts.join("\n\n")}\n${commentId === undefined ? "" : `\n${replyMarker(commentId)}\n`}`);
}

/** SPEC §9: only writers are obeyed; everyone else gets a short, polite refusal. */
export function renderRefusal(author: string, commentId: number): string {
  return `@${author} thanks for the request. Only people with write, maintain or admin access to this repository can run rightsize commands, so nothing was run; a maintainer can run it for you.\n\n${replyMarker(commentId)}\n`;
}

/** A comment never exceeds GitHub's limit: the end is cut, the marker kept. */
export function fitComment(text: string): string {
  if (text.length <= GITHUB_BODY_LIMIT) return text;
  const marker = replyMarkerOf(text);
  const note = "\n\n_(cut to fit GitHub's comment size limit)_\n\n";
  return `${text.slice(0, GITHUB_BODY_LIMIT - note.length - marker.length - 1)}${note}${marker}\n`;
}
