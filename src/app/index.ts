import { Context, type ApplicationFunction, type Probot } from "probot";
import { holdsCommands, onIssueComment } from "./handlers/comment.js";
import { onDashboardEdited } from "./handlers/dashboard.js";
import { onPolicyChangeProposed, onPush } from "./handlers/policy.js";
import { onPullRequestClosed, onPullRequestEdited } from "./handlers/pull-request.js";
import { QueueFullError, type WorkJob } from "./queue.js";
import type { AppDependencies } from "./runtime.js";

/** The events rightsize works on, each with its handler. */
const ROUTES = {
  "issue_comment.created": (context, deps, job) => onIssueComment(context as Context<"issue_comment.created">, deps, job),
  "pull_request.closed": (context, deps) => onPullRequestClosed(context as Context<"pull_request.closed">, deps),
  "pull_request.edited": (context, deps) => onPullRequestEdited(context as Context<"pull_request.edited">, deps),
  "pull_request.opened": (context, deps) => onPolicyChangeProposed(context as Context<"pull_request.opened">, deps),
  "pull_request.synchronize": (context, deps) => onPolicyChangeProposed(context as Context<"pull_request.synchronize">, deps),
  "pull_request.reopened": (context, deps) => onPolicyChangeProposed(context as Context<"pull_request.reopened">, deps),
  push: (context, deps) => onPush(context as Context<"push">, deps),
  "issues.edited": (context, deps) => onDashboardEdited(context as Context<"issues.edited">, deps),
} satisfies Record<string, (context: Context, deps: AppDependencies, job?: WorkJob) => Promise<void>>;

type RoutedEvent = keyof typeof ROUTES;

/**
 * The GitHub App (SPEC §7–§10): routes events to handlers and does nothing else. With a work
 * queue, a delivery is only acknowledged and enqueued; a worker (on any replica) handles it.
 */
export function rightsizeApp(deps: AppDependencies): ApplicationFunction {
  return (app) => {
    app.on(Object.keys(ROUTES) as RoutedEvent[], async (context) => {
      // Most comments hold no command: they never reach the queue.
      if (context.name === "issue_comment" && !holdsCommands(context.payload as Context<"issue_comment.created">["payload"])) return;
      if (deps.queue) {
        try {
          return await deps.queue.enqueue(eventJob(context));
        } catch (error) {
          // A full queue refuses the delivery (GitHub can redeliver it); the handler would only fill memory further.
          if (error instanceof QueueFullError) throw error;
          // The queue is unreachable (Redis gone): handle the delivery here rather than lose it.
          context.log.warn({ err: error }, "could not enqueue the delivery; handling it in this process");
        }
      }
      await ROUTES[routeOf(context)](context, deps, undefined);
    });
    app.on(["installation.created", "installation_repositories.added"], async (context) => deps.onInstallation?.(context.payload.installation.id));
    // BullMQ job schedulers outlive the process: an uninstalled repository's must be removed, or its cron fires forever.
    app.on("installation.deleted", async (context) => deps.onRepositoriesRemoved?.((context.payload.repositories ?? []).map((repository) => repository.full_name)));
    app.on("installation_repositories.removed", async (context) => deps.onRepositoriesRemoved?.(context.payload.repositories_removed.map((repository) => repository.full_name)));
  };
}

/** A worker's side of an enqueued delivery: the same handler, with the installation's client. */
export async function handleEventJob(app: Probot, deps: AppDependencies, job: WorkJob): Promise<void> {
  const event = job.event!;
  const octokit = await app.auth(job.installationId);
  const context = new Context(event as ConstructorParameters<typeof Context>[0], octokit, app.log.child({ id: event.id, installation: job.installationId, repository: job.repository }));
  await ROUTES[routeOf(context)](context, deps, job);
}

function routeOf(context: Context): RoutedEvent {
  const action = (context.payload as { action?: string }).action;
  return (action && `${context.name}.${action}` in ROUTES ? `${context.name}.${action}` : context.name) as RoutedEvent;
}

function eventJob(context: Context): WorkJob {
  const payload = context.payload as { installation?: { id: number }; repository?: { full_name?: string; owner?: { login?: string }; name?: string } };
  const repository = payload.repository?.full_name ?? `${payload.repository?.owner?.login}/${payload.repository?.name}`;
  // A comment's permission check runs beside the repository's other work (see onIssueComment).
  const exclusive = context.name !== "issue_comment";
  return { kind: "event", id: `event-${context.id}`, installationId: payload.installation?.id ?? 0, repository, ...(exclusive ? {} : { exclusive }), event: { name: context.name, id: context.id, payload: context.payload } };
}

export { type AppDependencies } from "./runtime.js";
export { RepositoryLocks } from "./locks.js";
export { InProcessQueue, QueueFullError, RedisQueue, type WorkJob, type WorkQueue } from "./queue.js";
export { parseCommands, type SlashCommand } from "./commands.js";
