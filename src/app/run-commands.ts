import { code, prose, RightsizeError, safeMarkdown, workloadKey, type WorkloadKind } from "../domain/index.js";
import {
  checkPolicyAt,
  DECISION_TRAILER,
  closeByRightsize,
  decisionRecordPath,
  decisionRecordsInBody,
  diagnoseOperatorClusters,
  onboardRepository,
  GitDataPublisher,
  GitWorkspace,
  readRawFile,
  recordProposalState,
  readRepositoryPolicy,
  replaceStateMarker,
  runForGitHubRepository,
  selectionsOfKeys,
  type GitHubClient,
  type GitHubRepositoryInfo,
  type OrganizationControls,
  type ProposalState,
  type RepositoryRun,
  type WorkloadSelection,
  type WorkloadTarget,
} from "../pipeline/index.js";
import { DEFAULT_POLICY_PATH, migratePolicyText, type LoadedPolicy } from "../policy/index.js";
import { DecisionRecordSchema, type DecisionRecord } from "../recommend/index.js";
import { createHash } from "node:crypto";
import type { SlashCommand } from "./commands.js";
import { renderDoctorReply } from "./render/doctor.js";
import { renderExplanation } from "./render/explain.js";
import { renderFailure } from "./render/failure.js";
import { renderHelp } from "./render/help.js";
import { renderPolicyValidation } from "./render/policy.js";
import { renderProposeOutcome } from "./render/proposals.js";
import { renderOnboardOutcome, renderPaused } from "./render/organization.js";
import type { CommandOutcome } from "./render/reply.js";
import { operatorClusterNames, operatorObserver, recordRun, redactEndpoints, requireClusters, stageRecorder, type AppDependencies } from "./runtime.js";

/** A rightsize pull request a command was written on. */
export interface ProposalPullRequest {
  number: number;
  branch: string;
  head: string;
  body: string;
  open: boolean;
  state: ProposalState;
}

export interface CommandContext {
  octokit: GitHubClient;
  repository: GitHubRepositoryInfo;
  token(): Promise<string>;
  deps: AppDependencies;
  /** The rightsize pull request the comment is on; undefined in issues and other pull requests. */
  pullRequest: ProposalPullRequest | undefined;
  /** Failures that are not rightsize's own errors go to the operator's log (the reply stays short). */
  logError(error: unknown, command: string): void;
  /** The organisation's controls (pause, onboarding); absent: none (nothing paused). */
  controls?(): Promise<OrganizationControls>;
  /** The installation's budget of new pull requests per hour; absent: no limit. */
  mayOpen?(): Promise<string | undefined>;
}

/** What a command changes on GitHub: paused for the organisation (SPEC §10), it answers that instead. */
function writes(command: SlashCommand): boolean {
  if (command.name === "propose") return !command.dryRun;
  return ["refresh", "rebase", "ignore", "unignore", "policy-migrate", "onboard"].includes(command.name);
}

/** The policy of the default branch, read once per comment (for `mode: disabled`). */
function policyOnce(context: CommandContext): () => Promise<LoadedPolicy> {
  let loaded: Promise<LoadedPolicy> | undefined;
  return () =>
    (loaded ??= readRawFile(context.octokit, { ...context.repository, path: DEFAULT_POLICY_PATH }).then((text) =>
      readRepositoryPolicy(context.octokit, context.repository, text),
    ));
}

/** The commands that work whatever the policy says (they are how a broken policy gets fixed). */
const ALWAYS = new Set<SlashCommand["name"]>(["help", "invalid", "policy-validate", "policy-migrate", "onboard"]);

/**
 * A command's answer, and whether it did what was asked (`/metrics`: a refresh that answered "did
 * not refresh" is `declined`, not `ok`).
 */
interface Reply {
  text: string;
  done: boolean;
}

const done = (text: string): Reply => ({ text, done: true });
const declined = (text: string): Reply => ({ text, done: false });

/** Runs the commands of one comment in order; each says what happened, a failure included. */
export async function runCommands(commands: readonly SlashCommand[], context: CommandContext): Promise<CommandOutcome[]> {
  const policy = policyOnce(context);
  const outcomes: CommandOutcome[] = [];
  for (const command of commands) {
    let text: string;
    try {
      const paused = writes(command) ? (await context.controls?.())?.paused : undefined;
      const reply = paused
        ? declined(renderPaused(paused))
        : !ALWAYS.has(command.name) && (await policy()).policy.mode === "disabled"
          ? declined(DISABLED_NOTICE)
          : await dispatch(command, context, policy);
      text = reply.text;
      context.deps.telemetry?.commands.inc({ command: command.name, result: reply.done ? "ok" : "declined" });
    } catch (error) {
      if (!(error instanceof RightsizeError)) context.logError(error, command.line);
      context.deps.telemetry?.commands.inc({ command: command.name, result: "failed" });
      context.deps.telemetry?.countError(error);
      text = renderFailure(error, redactEndpoints(context.deps));
    }
    outcomes.push({ line: command.line, text });
  }
  return outcomes;
}

const DISABLED_NOTICE = `rightsize is disabled in this repository (\`mode: disabled\` in \`${DEFAULT_POLICY_PATH}\`), so it did nothing. Set \`mode: propose\` (or \`recommend\` for reports only) to use it.`;

async function dispatch(command: SlashCommand, context: CommandContext, policy: () => Promise<LoadedPolicy>): Promise<Reply> {
  switch (command.name) {
    case "help":
      return done(`rightsize understands these commands.\n\n${renderHelp()}`);
    case "invalid":
      return declined(`rightsize did not understand ${code(command.line)}: ${safeMarkdown(command.problem)}.\n\n${renderHelp()}`);
    case "propose": {
      const selection = { targets: command.targets, ...(command.cluster ? { cluster: command.cluster } : {}), ...(command.namespace ? { namespace: command.namespace } : {}) };
      // Naming workloads is an explicit request: it overrides their declined proposals (SPEC §8); `all` does not.
      const run = await runPipeline(context, { selection, dryRun: command.dryRun, overrideDeclines: command.targets.length > 0 });
      return done(renderProposeOutcome(run, { dryRun: command.dryRun }));
    }
    case "policy-validate":
      return done(await validatePolicy(context));
    case "policy-migrate":
      return done(await migratePolicy(context));
    case "doctor":
      return done(await doctor(context, await policy()));
    case "onboard":
      return onboard(context);
    default: {
      const pullRequest = context.pullRequest;
      if (!pullRequest) return declined(`rightsize runs \`/rightsize ${command.name}\` only in its own pull requests; in an issue, name the workload: \`/rightsize kind/name\`.`);
      switch (command.name) {
        case "refresh":
        case "rebase":
          return refresh(context, pullRequest, command.name);
        case "explain":
          return done(renderExplanation(await recordsOf(context, pullRequest), command.container));
        case "ignore":
        case "unignore":
          return changeIgnores(context, pullRequest, command.name, command.container);
      }
    }
  }
}

/** What every pipeline call of a command gets: the repository, its token, the operator's clusters, the stage timer and the budget of new pull requests. */
async function pipelineBase(context: CommandContext) {
  const onStage = stageRecorder(context.deps);
  return {
    octokit: context.octokit,
    repository: context.repository,
    token: await context.token(),
    observe: operatorObserver(context.deps),
    ...(onStage ? { onStage } : {}),
    ...(context.mayOpen ? { mayOpen: context.mayOpen } : {}),
  };
}

async function runPipeline(context: CommandContext, options: { selection?: WorkloadSelection; dryRun?: boolean; force?: boolean; overrideDeclines?: boolean }): Promise<RepositoryRun> {
  const run = await runForGitHubRepository({ ...(await pipelineBase(context)), ...options });
  recordRun(context.deps, run);
  return run;
}

/** `/rightsize onboard`: the onboarding pull request, also after one was closed (SPEC §10 "Organisations"). */
async function onboard(context: CommandContext): Promise<Reply> {
  const controls = (await context.controls?.()) ?? { onboarding: { enabled: true as const }, organizationPolicy: false };
  const outcome = await onboardRepository({ ...(await pipelineBase(context)), controls, clusters: operatorClusterNames(context.deps), explicit: true });
  const reply = renderOnboardOutcome(outcome, DEFAULT_POLICY_PATH);
  return reply.done ? done(reply.text) : declined(reply.text);
}

/** `/rightsize doctor`: the metrics of the clusters this repository's policy names, through the operator's sources. */
async function doctor(context: CommandContext, loaded: LoadedPolicy): Promise<string> {
  const report = await diagnoseOperatorClusters(requireClusters(context.deps), loaded, { at: context.deps.now().toISOString() });
  return renderDoctorReply(report, redactEndpoints(context.deps));
}

async function validatePolicy(context: CommandContext): Promise<string> {
  // Against the operator's clusters too: a name it does not serve would fail the next `/rightsize all`.
  const check = await checkPolicyAt(context.octokit, context.repository, undefined, { clusters: context.deps.clusters });
  return renderPolicyValidation(check.problems, check.loaded?.source.path ?? DEFAULT_POLICY_PATH, check.unserved);
}

const MIGRATION_BRANCH = "rightsize/policy-migrate";

/** `/rightsize policy migrate`: a pull request with the migrated file, comments kept (SPEC §7). */
async function migratePolicy(context: CommandContext): Promise<string> {
  const text = await readRawFile(context.octokit, { ...context.repository, path: DEFAULT_POLICY_PATH });
  if (text === undefined) return `rightsize found no \`${DEFAULT_POLICY_PATH}\` in this repository; there is nothing to migrate (the defaults apply).`;
  const migration = migratePolicyText({ path: DEFAULT_POLICY_PATH, text });
  if (migration.text === text) return `rightsize found \`${DEFAULT_POLICY_PATH}\` already at the current apiVersion; nothing to migrate.`;
  const token = await context.token();
  const clone = await GitWorkspace.shallowClone(context.repository.cloneUrl, context.repository.defaultBranch, { token });
  try {
    const publisher = new GitDataPublisher(context.octokit, context.repository, clone.workspace, clone.commit);
    const state = await publisher.inspect(MIGRATION_BRANCH);
    if (state.foreign) return `rightsize left \`${MIGRATION_BRANCH}\` alone: ${safeMarkdown(state.foreign)}.`;
    const title = `rightsize: migrate ${DEFAULT_POLICY_PATH} to ${migration.to}`;
    const marker: ProposalState = { version: 1, branch: MIGRATION_BRANCH, workloads: [] };
    const body = [
      `This moves \`${DEFAULT_POLICY_PATH}\` from \`${migration.from}\` to \`${migration.to}\`. Comments and unknown keys are kept; \`metadata.migratedFrom\` records the old version.`,
      "",
      ...migration.applied.map((change) => `- ${change}`),
      "",
      replaceStateMarker("", marker).trim(),
    ].join("\n");
    const published = await publisher.publish(
      {
        branch: MIGRATION_BRANCH,
        base: { branch: context.repository.defaultBranch, commit: clone.commit },
        files: [{ path: DEFAULT_POLICY_PATH, content: migration.text }],
        message: `${title}\n\n${DECISION_TRAILER}: ${createHash("sha256").update(migration.text).digest("hex")}`,
        rendered: { title, body, labels: ["rightsize"], state: marker },
        policy: (await readRepositoryPolicy(context.octokit, context.repository, text)).policy,
      },
      state,
    );
    if (published.status === "foreign") return `rightsize left \`${MIGRATION_BRANCH}\` alone: ${safeMarkdown(published.reason)}.`;
    return `rightsize ${published.status === "created" ? "opened" : published.status} #${published.pullRequestNumber}: ${title}.`;
  } finally {
    await clone.dispose();
  }
}

/** `/rightsize refresh` and `rebase`: observe again and rewrite this proposal on the default branch's tip. */
async function refresh(context: CommandContext, pullRequest: ProposalPullRequest, verb: "refresh" | "rebase"): Promise<Reply> {
  const [selection] = selectionsOfKeys(pullRequest.state.workloads.map((workload) => workload.key));
  const run = await runPipeline(context, { selection: selection ?? { targets: [] }, force: true, overrideDeclines: true });
  const result = run.results.find((candidate) => candidate.branch === pullRequest.branch);
  if (result?.overrides && result.status === "created") {
    return done(`rightsize opened #${result.pullRequestNumber}: #${result.overrides.number} was declined; this proposal overrides it, as asked. ${prose(result.title)}`);
  }
  if (result && ["created", "updated", "unchanged"].includes(result.status)) {
    const what = verb === "rebase" ? `rebased this proposal on ${code(run.base.branch)} (${run.base.commit.slice(0, 7)})` : "refreshed this proposal";
    return done(`rightsize ${what}: ${result.status === "unchanged" ? "nothing changed" : "the branch and this description are up to date"}. ${prose(result.title)}`);
  }
  if (result) return declined(`rightsize did not ${verb} this proposal: ${result.status}: ${safeMarkdown(result.reason ?? "")}`);
  return closeStale(context, pullRequest, run);
}

/** Nothing to propose any more (values within hysteresis, data missing): the pull request is closed, not left stale. */
async function closeStale(context: CommandContext, pullRequest: ProposalPullRequest, run: RepositoryRun): Promise<Reply> {
  const reasons = run.selected.map((workload) => `- ${code(workloadKey(workload.ref))} (${workload.record.decision.action}): ${safeMarkdown(workload.record.decision.reasons.join("; "))}`);
  if (run.selected.some((workload) => workload.record.decision.action === "blocked")) {
    // Blocked is not "no change needed": the proposal stays until the block is resolved.
    return declined(["rightsize could not recompute this proposal, so it left it as it is:", ...reasons].join("\n"));
  }
  await closeByRightsize(context, pullRequest, { ...pullRequest.state, closedBy: "refresh" });
  return done([`rightsize has nothing to propose here any more, so it closed this pull request and deleted its branch:`, ...(reasons.length > 0 ? reasons : ["- the workloads are no longer found in the manifests or the clusters"])].join("\n"));
}

/** `/rightsize ignore|unignore [CONTAINER]`: recorded in this pull request's state marker, then the proposal follows. */
async function changeIgnores(context: CommandContext, pullRequest: ProposalPullRequest, verb: "ignore" | "unignore", container: string | undefined): Promise<Reply> {
  const known = pullRequest.state.workloads.flatMap((workload) => Object.keys(workload.containers));
  const ignoredNow = Object.values(pullRequest.state.ignored ?? {}).flat();
  if (container !== undefined && ![...known, ...ignoredNow].includes(container)) {
    return declined(`rightsize has no container ${code(container)} in this proposal; its containers are ${known.map((name) => code(name)).join(", ")}.`);
  }
  const ignored = { ...(pullRequest.state.ignored ?? {}) };
  for (const workload of pullRequest.state.workloads) {
    const current = new Set(ignored[workload.key] ?? []);
    const names = container === undefined ? ["*"] : Object.keys(workload.containers).includes(container) || current.has(container) ? [container] : [];
    for (const name of names) {
      if (verb === "ignore") current.add(name);
      else if (container === undefined) current.clear();
      else current.delete(name);
    }
    if (current.size > 0) ignored[workload.key] = [...current].sort();
    else delete ignored[workload.key];
  }
  const state: ProposalState = { ...pullRequest.state, ignored };
  const what = container === undefined ? "this workload" : `container ${code(container)}`;
  if (verb === "ignore" && (container === undefined || known.every((name) => ignored[keyOf(pullRequest.state, name)]?.includes(name)))) {
    await closeByRightsize(context, pullRequest, { ...state, closedBy: "ignore" });
    return done(`rightsize will leave ${what} out of later proposals, so it closed this pull request and deleted its branch. \`/rightsize unignore${container ? ` ${container}` : ""}\` here brings it back.`);
  }
  await recordProposalState(context, pullRequest, { ...state, closedBy: undefined });
  if (!pullRequest.open) {
    return done(`rightsize will include ${what} again; the next scan (or \`/rightsize ${targetsOf(pullRequest.state).map(formatTarget).join(" ")}\` in an issue) proposes it.`);
  }
  const refreshed = await refresh(context, { ...pullRequest, state, body: replaceStateMarker(pullRequest.body, state) }, "refresh");
  // The ignore is recorded whatever the refresh then did.
  return done(`rightsize will ${verb === "ignore" ? "leave out" : "include again"} ${what}. ${refreshed.text.replace(/^rightsize /, "It ")}`);
}

function keyOf(state: ProposalState, container: string): string {
  return state.workloads.find((workload) => container in workload.containers)?.key ?? "";
}

/** The decision records of a proposal: from its body, else from the files committed on its branch. */
async function recordsOf(context: CommandContext, pullRequest: ProposalPullRequest): Promise<DecisionRecord[]> {
  const fromBody = decisionRecordsInBody(pullRequest.body, (value) => DecisionRecordSchema.parse(value));
  if (fromBody) return fromBody;
  const records: DecisionRecord[] = [];
  for (const workload of pullRequest.state.workloads) {
    const [cluster, namespace, kind, name] = workload.key.split("/") as [string, string, WorkloadKind, string];
    const text = await readRawFile(context.octokit, { ...context.repository, path: decisionRecordPath({ cluster, namespace, kind, name }), ref: pullRequest.head });
    if (text !== undefined) records.push(DecisionRecordSchema.parse(JSON.parse(text)));
  }
  return records;
}

function targetsOf(state: ProposalState): WorkloadTarget[] {
  return selectionsOfKeys(state.workloads.map((workload) => workload.key)).flatMap((selection) => selection.targets);
}

function formatTarget(target: WorkloadTarget): string {
  return `${target.namespace}/${target.kind.toLowerCase()}/${target.name}`;
}
