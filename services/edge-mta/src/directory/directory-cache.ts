import type { NatsConnection } from '@nats-io/transport-node';
import { describeError } from '@torii/errors';
import type { Logger } from '@torii/telemetry';
import { DirectoryIndex } from './directory-index';
import { DirectoryRepository, type DirectoryChange, type DirectoryWatch } from './directory.repository';

/**
 * The directory in memory, so no SMTP command waits for the network. Loads every domain, then follows
 * changes; while NATS is unreachable the last known directory keeps being served, and on every reconnect
 * it is loaded again in full (changes may have been missed meanwhile).
 */
export class DirectoryCache {
  private index = DirectoryIndex.empty;
  private loaded = false;
  private revisions = new Map<string, number>();
  private watch: DirectoryWatch | undefined;
  private stopped = false;
  private syncing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bucket: string,
    private readonly logger: Logger,
    private readonly retryMs = 2_000,
  ) {}

  get current(): DirectoryIndex {
    return this.index;
  }

  /** True once a full load has succeeded (the edge then answers from the cache, even if NATS goes away). */
  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Starts loading in the background; resolves at once. Call `resync` on every reconnect. */
  attach(connection: NatsConnection): void {
    this.connection = connection;
    void this.resync();
  }

  private connection: NatsConnection | undefined;

  resync(): Promise<void> {
    this.syncing ??= this.sync().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async sync(): Promise<void> {
    if (this.stopped || !this.connection) return;
    clearTimeout(this.retryTimer);
    this.watch?.stop();
    this.watch = undefined;
    try {
      const repository = await DirectoryRepository.open(this.connection, this.bucket);
      // Watch first and hold changes, so none falls between the full load and the watch.
      const held: DirectoryChange[] = [];
      let live = false;
      this.watch = await repository.watchChanges(
        (change) => (live ? this.apply(change) : held.push(change)),
        (error) => this.logger.warn({ err: describeError(error) }, 'directory: undecodable entry skipped'),
      );
      const all = await repository.loadAll();
      this.revisions = new Map(all.map((c) => [c.domain, c.revision]));
      this.index = new DirectoryIndex(all.flatMap((c) => (c.value ? [c.value] : [])));
      for (const change of held) this.apply(change);
      live = true;
      this.loaded = true;
      this.logger.info({ domains: this.index.size, bucket: this.bucket }, 'directory: loaded');
    } catch (error) {
      this.logger.warn({ err: describeError(error), bucket: this.bucket }, 'directory: load failed, retrying');
      this.watch?.stop();
      this.watch = undefined;
      if (!this.stopped) this.retryTimer = setTimeout(() => void this.resync(), this.retryMs);
    }
  }

  private apply(change: DirectoryChange): void {
    const known = this.revisions.get(change.domain);
    if (known !== undefined && known >= change.revision) return;
    this.revisions.set(change.domain, change.revision);
    this.index = this.index.with(change.domain, change.value);
    this.logger.info({ domain: change.domain, deleted: !change.value }, 'directory: changed');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.watch?.stop();
  }
}
