import type { V1Job, V1Pod } from "@kubernetes/client-node";
import type { JobRun } from "../../domain/index.js";
import { isoTime } from "../request.js";
import { workloadKey, type NamespaceInventory } from "./inventory.js";

/**
 * Live run-based observation of Jobs and CronJobs (kubenow v0.3 Feature 2): every Job that
 * starts while rightsize watches is sampled until it completes or fails; its per-container peaks,
 * duration, exit code and outcome become one run. Jobs that had finished before observation
 * began were not sampled and are not runs.
 */
export interface RunLimits {
  /** Completed runs to observe per Job/CronJob. */
  count: number;
  runTimeoutSeconds: number;
  totalTimeoutSeconds: number;
}

interface TrackedRun {
  job: string;
  workload: string;
  firstSeen: number;
  samples: number;
  peaks: Record<string, { cpuPeak: number; memoryPeak: number }>;
}

export class RunTracker {
  private readonly tracked = new Map<string, TrackedRun>();
  private readonly finished = new Set<string>();
  private readonly runs = new Map<string, JobRun[]>();
  private readonly problems = new Map<string, string[]>();
  private watching = false;

  constructor(
    private readonly inventory: NamespaceInventory,
    private readonly runTimeoutSeconds: number,
  ) {}

  /** Workloads observed run by run: CronJobs and bare Jobs. */
  runBasedWorkloads(): string[] {
    return [...this.inventory.workloads.values()].filter((workload) => workload.kind === "CronJob" || workload.kind === "Job").map((workload) => workloadKey(workload.kind, workload.name));
  }

  runsOf(workload: string): JobRun[] {
    return [...(this.runs.get(workload) ?? [])].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.run.localeCompare(b.run));
  }

  problemsOf(workload: string): string[] {
    return this.problems.get(workload) ?? [];
  }

  completedRuns(workload: string): number {
    return this.runs.get(workload)?.length ?? 0;
  }

  addProblem(workload: string, message: string): void {
    const known = this.problems.get(workload) ?? [];
    if (!known.includes(message)) this.problems.set(workload, [...known, message]);
  }

  /** Per-container usage of the pods of watched Jobs at one sample. */
  recordUsage(job: string, usage: Map<string, { cpu: number; memory: number }>): void {
    const run = this.tracked.get(job);
    if (!run) return;
    run.samples++;
    for (const [container, sample] of usage) {
      const peak = run.peaks[container] ?? { cpuPeak: 0, memoryPeak: 0 };
      run.peaks[container] = { cpuPeak: Math.max(peak.cpuPeak, sample.cpu), memoryPeak: Math.max(peak.memoryPeak, sample.memory) };
    }
  }

  /**
   * Updates from the current Job list: starts watching new Jobs, closes finished ones and those
   * past the run timeout. `podsOf` lists a Job's pods for exit codes.
   */
  async updateJobs(jobs: V1Job[], now: number, podsOf: (job: string) => Promise<V1Pod[] | undefined>): Promise<void> {
    for (const job of jobs) {
      const name = job.metadata?.name;
      if (!name || this.finished.has(name)) continue;
      const workload = this.workloadOfJob(job);
      if (!workload) continue;
      const outcome = outcomeOf(job);
      let run = this.tracked.get(name);
      if (!run) {
        if (outcome && !this.watching) {
          this.finished.add(name);
          continue;
        }
        run = { job: name, workload, firstSeen: now, samples: 0, peaks: {} };
        this.tracked.set(name, run);
      }
      if (outcome) await this.close(run, job, outcome, now, podsOf);
      else if (now - run.firstSeen > this.runTimeoutSeconds) {
        this.addProblem(workload, `run ${name} was still running after the run timeout (${this.runTimeoutSeconds}s); counted as not succeeded`);
        this.complete(run, { startedAt: startOf(job, run), end: now, succeeded: false, exitCode: null });
      }
    }
    this.watching = true;
  }

  private workloadOfJob(job: V1Job): string | undefined {
    const name = job.metadata?.name;
    if (!name) return undefined;
    const owner = this.inventory.jobOwners.get(name);
    const key = owner?.kind === "CronJob" ? workloadKey("CronJob", owner.name) : owner ? undefined : workloadKey("Job", name);
    return key && this.inventory.workloads.has(key) ? key : undefined;
  }

  private async close(run: TrackedRun, job: V1Job, outcome: { succeeded: boolean; at?: Date }, now: number, podsOf: (job: string) => Promise<V1Pod[] | undefined>): Promise<void> {
    const pods = await podsOf(run.job);
    const exitCode = pods === undefined ? null : exitCodeOf(pods, outcome.succeeded);
    if (run.samples === 0) {
      this.addProblem(run.workload, `run ${run.job} finished before it could be sampled; its peaks are unknown (shorten the sample interval)`);
    }
    const end = outcome.at ? outcome.at.getTime() / 1000 : now;
    this.complete(run, { startedAt: startOf(job, run), end, succeeded: outcome.succeeded, exitCode });
  }

  private complete(run: TrackedRun, result: { startedAt: number; end: number; succeeded: boolean; exitCode: number | null }): void {
    this.tracked.delete(run.job);
    this.finished.add(run.job);
    const completed: JobRun = {
      run: run.job,
      startedAt: isoTime(result.startedAt),
      durationSeconds: Math.max(0, result.end - result.startedAt),
      exitCode: result.exitCode,
      succeeded: result.succeeded,
      containers: run.peaks,
    };
    this.runs.set(run.workload, [...(this.runs.get(run.workload) ?? []), completed]);
  }
}

function startOf(job: V1Job, run: TrackedRun): number {
  const started = job.status?.startTime;
  return started ? new Date(started).getTime() / 1000 : run.firstSeen;
}

function outcomeOf(job: V1Job): { succeeded: boolean; at?: Date } | undefined {
  for (const condition of job.status?.conditions ?? []) {
    if (condition.status !== "True") continue;
    if (condition.type === "Complete") return { succeeded: true, at: job.status?.completionTime ? new Date(job.status.completionTime) : toDate(condition.lastTransitionTime) };
    if (condition.type === "Failed") return { succeeded: false, at: toDate(condition.lastTransitionTime) };
  }
  return undefined;
}

function toDate(value: Date | string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}

/** 0 for a Job that succeeded (earlier failed attempts do not change that); else the first non-zero exit code. */
function exitCodeOf(pods: V1Pod[], succeeded: boolean): number | null {
  if (succeeded) return 0;
  const codes = pods.flatMap((pod) =>
    (pod.status?.containerStatuses ?? []).flatMap((status) => {
      const terminated = status.state?.terminated ?? status.lastState?.terminated;
      return terminated ? [terminated.exitCode] : [];
    }),
  );
  return codes.find((code) => code !== 0) ?? null;
}
