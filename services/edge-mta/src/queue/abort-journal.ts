import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { describeError } from '@torii/errors';
import type { Logger } from '@torii/telemetry';

/**
 * Objects stored for a message that was then refused with 451 and could not be deleted at once (the store
 * was failing). They must not survive: delivery's reconciliation would publish them again and the sender,
 * who was told 451, retries too. Kept in a local file and deleted again until the store answers.
 */
export class AbortJournal {
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  /** File writes one at a time: an append must not fall between a sweep's re-read and its rewrite. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly remove: (key: string) => Promise<void>,
    private readonly logger: Logger,
    private readonly intervalMs = 15_000,
  ) {}

  async record(key: string): Promise<void> {
    await this.serially(() => appendFile(this.path, `${key}\n`));
    this.logger.error({ key, journal: this.path }, 'queue: could not delete an aborted object; will retry');
  }

  private serially<T>(write: () => Promise<T>): Promise<T> {
    const done = this.writes.then(write);
    this.writes = done.catch(() => undefined);
    return done;
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
    void this.sweep();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Deletes every journaled key; keeps the ones that still fail. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      let keys: string[];
      try {
        keys = [...new Set((await readFile(this.path, 'utf8')).split('\n').filter(Boolean))];
      } catch {
        return 0;
      }
      const left: string[] = [];
      for (const key of keys) {
        try {
          await this.remove(key);
          this.logger.info({ key }, 'queue: aborted object deleted');
        } catch (error) {
          left.push(key);
          this.logger.warn({ key, err: describeError(error) }, 'queue: aborted object still not deleted');
        }
      }
      // Keys appended while we swept are kept: re-read and drop only what we deleted (no append in between).
      const deleted = new Set(keys.filter((k) => !left.includes(k)));
      await this.serially(async () => {
        const now = (await readFile(this.path, 'utf8')).split('\n').filter(Boolean);
        await writeFile(this.path, now.filter((k) => !deleted.has(k)).map((k) => `${k}\n`).join(''));
      });
      return deleted.size;
    } finally {
      this.sweeping = false;
    }
  }
}
