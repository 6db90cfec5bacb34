import { CronExpressionParser } from "cron-parser";
import type { GitHubRepositoryInfo } from "../pipeline/index.js";

export interface ScheduledRepository {
  installationId: number;
  repository: GitHubRepositoryInfo;
  cron: string;
  /** Epoch milliseconds of the next scan. */
  next: number;
}

export interface SchedulerOptions {
  /** The repository's `schedule.cron` (its policy's, or the default). */
  readCron(installationId: number, repository: GitHubRepositoryInfo): Promise<string>;
  scan(installationId: number, repository: GitHubRepositoryInfo): Promise<void>;
  now(): Date;
  onError(repository: GitHubRepositoryInfo, error: unknown): void;
}

/**
 * Scans each installed repository on its policy's `schedule.cron` (UTC), in this process
 * (SPEC §10; the BullMQ job schedulers replace it when several replicas share Redis). A scan is
 * idempotent, so two replicas that both run it open no duplicate pull requests. It holds one
 * entry per installed repository and nothing else.
 */
export class ScanScheduler {
  private readonly repositories = new Map<string, ScheduledRepository>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly options: SchedulerOptions) {}

  /** Starts following a repository, or re-reads its schedule after its policy changed. */
  async track(installationId: number, repository: GitHubRepositoryInfo): Promise<ScheduledRepository> {
    const cron = await this.options.readCron(installationId, repository);
    const entry = { installationId, repository, cron, next: nextRun(cron, this.options.now()) };
    this.repositories.set(keyOf(repository), entry);
    return entry;
  }

  forget(repository: Pick<GitHubRepositoryInfo, "owner" | "repo">): void {
    this.repositories.delete(keyOf(repository));
  }

  scheduled(): ScheduledRepository[] {
    return [...this.repositories.values()];
  }

  start(intervalMilliseconds = 30_000): void {
    this.timer ??= setInterval(() => void this.tick(), intervalMilliseconds);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Runs every scan that is due, one at a time; a tick while one runs does nothing. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = this.runDue().finally(() => (this.ticking = undefined));
    await this.ticking;
  }

  private async runDue(): Promise<void> {
    const now = this.options.now().getTime();
    const due = [...this.repositories.values()].filter((entry) => entry.next <= now).sort((a, b) => a.next - b.next);
    for (const entry of due) {
      try {
        await this.options.scan(entry.installationId, entry.repository);
      } catch (error) {
        this.options.onError(entry.repository, error);
      }
      // The next run counts from now, so a slow scan never queues up missed ones.
      if (this.repositories.get(keyOf(entry.repository)) === entry) entry.next = nextRun(entry.cron, this.options.now());
    }
  }
}

export function nextRun(cron: string, after: Date): number {
  return CronExpressionParser.parse(cron, { currentDate: after, tz: "UTC" }).next().getTime();
}

function keyOf(repository: Pick<GitHubRepositoryInfo, "owner" | "repo">): string {
  return `${repository.owner}/${repository.repo}`;
}
