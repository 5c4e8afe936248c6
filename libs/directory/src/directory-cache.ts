import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Codecs, directoryKey, type DomainDirectory } from '@torii/contracts';
import { TemporaryError, describeError } from '@torii/errors';
import type { KvStore, KvStores, KvWatch } from '@torii/messaging';

/**
 * A deleted domain's entry: the tenant service writes a DomainDirectory that names no domain (only the delete's
 * revision) instead of deleting the key, so a late write of the old snapshot is refused. It means "no such
 * domain", as a missing key does. Use it wherever the bucket is read directly.
 */
export function isTombstone(value: DomainDirectory): boolean {
  return value.domain === '';
}

/**
 * The directory as the tenant service publishes it (NATS KV, one DomainDirectory per domain), watched and
 * held in memory. Keeps the last known snapshot while NATS is away; a domain not seen yet is read from the
 * bucket directly. A tombstone (a deleted domain) is answered as unknown. A service subclasses it to inject
 * its own bucket name (see README).
 */
export class KvDirectoryCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DirectoryCache');
  private readonly domains = new Map<string, DomainDirectory>();
  private store: KvStore<DomainDirectory> | undefined;
  private watch: KvWatch | undefined;

  constructor(
    private readonly kv: KvStores,
    private readonly bucket: string,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.store = await this.kv.open(this.bucket, Codecs.domainDirectory, { create: true });
    this.watch = await this.store.watch(
      (change) => {
        if (change.operation === 'put' && !isTombstone(change.value)) this.domains.set(change.key, change.value);
        else this.domains.delete(change.key);
      },
      { onError: (error) => this.logger.warn(describeError(error)) },
    );
  }

  onApplicationShutdown(): void {
    this.watch?.stop();
  }

  async lookup(domain: string): Promise<DomainDirectory | undefined> {
    let key: string;
    try {
      key = directoryKey(domain);
    } catch {
      return undefined;
    }
    const cached = this.domains.get(key);
    if (cached) return cached;
    // Not opened yet (a consumer started before the application's bootstrap): "unknown" here would read as
    // "no filters subscribed" and let mail through unscanned. The caller retries until the directory is open.
    if (!this.store) throw new TemporaryError(`directory lookup of ${key}: the directory is not open yet`);
    try {
      const entry = await this.store.get(key);
      if (!entry || isTombstone(entry.value)) return undefined;
      this.domains.set(key, entry.value);
      return entry.value;
    } catch (error) {
      // Not "unknown domain": a caller that read that as "no filters subscribed" would let mail through
      // unscanned. The caller retries (nak, deferral, 503) until the directory answers.
      this.logger.warn(`directory lookup ${key}: ${describeError(error)}`);
      throw new TemporaryError(`directory lookup of ${key} failed`, { cause: error });
    }
  }
}
