import { ExternalError, InputError, workloadKey, type ObservationSnapshot } from "../../domain/index.js";
import type { RepoFile } from "../../manifests/index.js";
import type { LoadedPolicy } from "../../policy/index.js";
import { planRepository, type Plan, type PlanInput, type PlannedWorkload } from "../plan/plan.js";
import { proposeChanges, type ProposalResult } from "./propose.js";
import type { ProposalPublisher } from "../publish/types.js";
import { readCommitFiles } from "../checkout/files.js";
import { EVERY_WORKLOAD, isSelected, selectedNamespaces, unmatchedTargets, type WorkloadSelection, type WorkloadTarget } from "../plan/selection.js";
import type { GitWorkspace, RemoteAuth } from "../checkout/workspace.js";
import { TOOL } from "../../version.js";
import type { ObservationScope, ObservedInputs } from "../observation.js";

export type { ObservationScope, ObservedInputs } from "../observation.js";
import { stepOutcome, type MergedStep, type StepOutcome } from "../lifecycle/steps.js";

/** The commit a run reads everything from (policy, manifests) and that proposals start from. */
export interface RepositoryCheckout {
  workspace: GitWorkspace;
  base: { branch: string; commit: string };
}


/** The outside world of one run, given by the CLI or the app (SPEC §2: one orchestration, two front ends). */
export interface RepositoryPorts {
  checkout: RepositoryCheckout;
  /** The policy, given the files of the checkout's commit (the repository's own file is among them). */
  policy(files: RepoFile[]): Promise<LoadedPolicy>;
  /** Observations for the policy's clusters (live, or a replayed snapshot). */
  observe(loaded: LoadedPolicy, scope: ObservationScope): Promise<ObservedInputs>;
  /** Where proposals go; absent: a dry run that only plans. */
  publisher?: ProposalPublisher;
  selection?: WorkloadSelection;
  /** Rewrite open proposals even when their values are unchanged (refresh, rebase). */
  force?: boolean;
  /**
   * An explicit request for these workloads (a command naming them, a ticked dashboard box, a
   * refresh): a declined proposal of theirs is proposed again, and the result says so (SPEC §8).
   */
  overrideDeclines?: boolean;
  /** The last merged step of each workload (GitHub's merged pull requests, or git history). */
  steps?(): Promise<ReadonlyMap<string, MergedStep>>;
  /** Told how long each stage took (the app's /metrics). */
  onStage?(stage: PipelineStage, seconds: number): void;
  /**
   * Asked before a new pull request is opened (not for updates): undefined to go ahead, else why
   * not now (the app's pull requests per installation and hour); the result is then rate-limited.
   */
  mayOpen?(): Promise<string | undefined>;
}

export type PipelineStage = "observe" | "plan" | "propose";

export interface RepositoryRun {
  base: { branch: string; commit: string };
  loaded: LoadedPolicy;
  /** What was observed (empty when the policy is disabled), workloads after a recent step observed from its rollout. */
  snapshot: ObservationSnapshot;
  /** The policy's window as observed, before any workload was observed again from its rollout (what a rescan compares). */
  observed?: ObservationSnapshot;
  /** A merged step holds or narrows some workload's next proposal: time alone changes this run's outcome. */
  stepsPending?: boolean;
  plan: Plan;
  /** The planned workloads the selection names (every one without a selection). */
  selected: PlannedWorkload[];
  /** Selection targets that name no workload of the repository. */
  unmatched: WorkloadTarget[];
  results: ProposalResult[];
}

/**
 * One repository, end to end: read the policy and manifests of one commit, observe, plan, and
 * write each proposal through the publisher. The CLI (`propose`, `scan`, `demo`) and the app
 * (commands, schedules) all call this.
 */
export async function proposeForRepository(ports: RepositoryPorts): Promise<RepositoryRun> {
  const { base, workspace } = ports.checkout;
  const selection = ports.selection ?? EVERY_WORKLOAD;
  const files = await readCommitFiles(workspace.dir, base.commit);
  const loaded = await ports.policy(files);
  if (loaded.policy.mode === "disabled") {
    // SPEC §7: disabled means nothing is observed or proposed; the caller answers with a notice.
    const plan: Plan = { workloads: [], notObserved: [], notInRepo: [], skipped: [], targets: [], proposalsPaused: "the policy's mode is disabled" };
    const snapshot: ObservationSnapshot = { schemaVersion: 1, kind: "ObservationSnapshot", createdAt: "1970-01-01T00:00:00Z", workloads: [] };
    return { base, loaded, snapshot, plan, selected: [], unmatched: [], results: [] };
  }
  const namespaces = selectedNamespaces(selection);
  const timed = stageTimer(ports.onStage);
  const { snapshot, at, steps, observed } = await timed("observe", async () => {
    const whole = await ports.observe(loaded, { ...(selection.cluster ? { cluster: selection.cluster } : {}), ...(namespaces ? { namespaces } : {}) });
    const merged = (await ports.steps?.()) ?? new Map<string, MergedStep>();
    return { ...(await observeSinceRollouts(ports, loaded, whole, merged)), observed: whole.snapshot };
  });
  const stepsPending = [...steps.values()].some((step) => step.holdDecreases !== undefined || step.observeSince !== undefined);
  const planInput: PlanInput = { tool: TOOL, files, loaded, snapshot, at, steps };
  const plan = await timed("plan", async () => planRepository(planInput));
  const selected = plan.workloads.filter((workload) => isSelected(selection, workload.ref));
  const known = [...plan.workloads.map((workload) => workload.ref), ...plan.notObserved.map((entry) => entry.ref)];
  const publisher = ports.publisher;
  const results = publisher
    ? await timed("propose", () => proposeChanges({
        plan,
        planInput,
        base: { ...base, files },
        publisher,
        ...(ports.force ? { force: true } : {}),
        ...(ports.overrideDeclines ? { overrideDeclines: true } : {}),
        ...(ports.mayOpen ? { mayOpen: ports.mayOpen } : {}),
        selected: (workload) => selected.some((candidate) => workloadKey(candidate.ref) === workloadKey(workload.ref)),
      }))
    : [];
  return { base, loaded, snapshot, observed, stepsPending, plan, selected, unmatched: unmatchedTargets(selection, known), results };
}

/**
 * The user's clone as a checkout (CLI): the tip of the default branch, fetched from `remote`
 * first when pushing, else the local branch. Proposals never start from the working tree.
 */
export async function openLocalCheckout(workspace: GitWorkspace, remote?: { name: string; auth?: RemoteAuth }): Promise<RepositoryCheckout> {
  if (!(await workspace.resolve("HEAD"))) {
    throw new InputError(`${workspace.dir}: not a git repository with a commit; propose works in a clone of the config repo`, { file: workspace.dir });
  }
  const branch = await workspace.defaultBranch(remote?.name);
  const commit = remote
    ? await workspace.fetchRemoteBranch(remote.name, branch, remote.auth)
    : await workspace.resolve(`refs/heads/${branch}`);
  if (!commit && remote) throw new ExternalError(`the remote ${remote.name} has no branch ${branch}`);
  if (!commit) throw new InputError(`${workspace.dir}: the default branch ${branch} has no commit`);
  return { workspace, base: { branch, commit } };
}

/**
 * SPEC §8: a workload whose last merged step rolled out inside the policy's window is observed
 * again from its rollout, so the next step is sized on data of the values it runs with. One
 * observation per cluster, namespace and rollout time; its workloads replace theirs.
 */
async function observeSinceRollouts(
  ports: RepositoryPorts,
  loaded: LoadedPolicy,
  observed: ObservedInputs,
  merged: ReadonlyMap<string, MergedStep>,
): Promise<ObservedInputs & { steps: Map<string, StepOutcome> }> {
  const now = new Date(observed.at);
  const byKey = new Map(observed.snapshot.workloads.map((observation) => [workloadKey(observation.workload), observation]));
  const steps = new Map<string, StepOutcome>();
  for (const [key, step] of merged) steps.set(key, stepOutcome(step, byKey.get(key), now, loaded.policy.observe.window.seconds));
  const groups = new Map<string, { cluster: string; namespace: string; since: string }>();
  for (const [key, outcome] of steps) {
    const observation = byKey.get(key);
    if (!outcome.observeSince || !observation) continue;
    const { cluster, namespace } = observation.workload;
    groups.set(`${cluster}/${namespace}/${outcome.observeSince}`, { cluster, namespace, since: outcome.observeSince });
  }
  for (const group of groups.values()) {
    const seconds = Math.max(1, Math.round((now.getTime() - Date.parse(group.since)) / 1000));
    const narrowed: LoadedPolicy = { ...loaded, policy: { ...loaded.policy, observe: { ...loaded.policy.observe, window: { text: `${seconds}s`, seconds } } } };
    const fresh = await ports.observe(narrowed, { cluster: group.cluster, namespaces: [group.namespace] });
    for (const observation of fresh.snapshot.workloads) {
      const key = workloadKey(observation.workload);
      if (steps.get(key)?.observeSince === group.since) byKey.set(key, observation);
    }
  }
  return { ...observed, snapshot: { ...observed.snapshot, workloads: [...byKey.values()] }, steps };
}

function stageTimer(onStage: RepositoryPorts["onStage"]) {
  return async <T>(stage: PipelineStage, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      onStage?.(stage, (performance.now() - started) / 1000);
    }
  };
}
