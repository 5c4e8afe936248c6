/**
 * What the HTTP verifiers share: a bounded map of answers (the oldest dropped first, so memory cannot grow
 * without limit) and single-flight lookups (concurrent checks of one key share one request).
 */
export class LookupCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly maxEntries = 10_000) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.delete(key);
    this.entries.set(key, value);
  }

  /** Runs `lookup` for `key`, or joins the one already running. */
  async shared<R>(key: string, lookup: () => Promise<R>): Promise<R> {
    const pending = this.inFlight.get(key) as Promise<R> | undefined;
    if (pending) return pending;
    const request = lookup();
    this.inFlight.set(key, request);
    try {
      return await request;
    } finally {
      this.inFlight.delete(key);
    }
  }
}
