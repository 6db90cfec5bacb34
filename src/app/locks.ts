/** In-process bookkeeping the app shares between handlers and the queue, each bounded. */

/**
 * One repository's work never runs twice at once in this process (a second delivery waits for
 * the first and then finds its result on GitHub). Entries leave the map when their chain is
 * done, so it holds only repositories being worked on.
 */
export class RepositoryLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** Keys remembered for a while, at most `limit` of them (the oldest go first): bounded memory under a flood. */
export class RecentKeys {
  private readonly expiry = new Map<string, number>();

  constructor(private readonly limit = 10_000) {}

  /** True the first time within `milliseconds`; false while the key is remembered. */
  claim(key: string, milliseconds: number, now = Date.now()): boolean {
    const until = this.expiry.get(key);
    if (until !== undefined && until > now) return false;
    this.expiry.delete(key);
    this.expiry.set(key, now + milliseconds);
    if (this.expiry.size > this.limit) this.expiry.delete(this.expiry.keys().next().value!);
    return true;
  }
}


/** Counters that expire, at most `limit` of them: pull requests opened per installation and hour, in one process. */
export class HourlyCounts {
  private readonly counts = new Map<string, { until: number; count: number }>();

  constructor(private readonly limit = 10_000) {}

  /** Adds one to `key` (which lives `milliseconds` from its first count) and returns the new count. */
  increment(key: string, milliseconds: number, now = Date.now()): number {
    const current = this.counts.get(key);
    const entry = current && current.until > now ? current : { until: now + milliseconds, count: 0 };
    entry.count++;
    this.counts.set(key, entry);
    if (this.counts.size > this.limit) this.counts.delete(this.counts.keys().next().value!);
    return entry.count;
  }
}
