import type { ApplicationFunction } from "probot";
import { onIssueComment } from "./handlers/comment.js";
import { onPolicyChangeProposed, onPush } from "./handlers/policy.js";
import { onPullRequestClosed, onPullRequestEdited } from "./handlers/pull-request.js";
import type { AppDependencies } from "./runtime.js";

/**
 * The GitHub App (SPEC §7–§10): routes events to handlers and does nothing else. Each handler
 * parses its event, checks permission, calls the pipeline, and renders the answer.
 */
export function rightsizeApp(deps: AppDependencies): ApplicationFunction {
  return (app) => {
    app.on("issue_comment.created", (context) => onIssueComment(context, deps));
    app.on("pull_request.closed", (context) => onPullRequestClosed(context, deps));
    app.on("pull_request.edited", (context) => onPullRequestEdited(context, deps));
    app.on(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"], (context) => onPolicyChangeProposed(context, deps));
    app.on("push", (context) => onPush(context, deps));
    app.on(["installation.created", "installation_repositories.added"], async (context) => deps.onInstallation?.(context.payload.installation.id));
  };
}

export { RepositoryLocks, type AppDependencies } from "./runtime.js";
export { ScanScheduler } from "./scheduler.js";
export { parseCommands, type SlashCommand } from "./commands.js";
