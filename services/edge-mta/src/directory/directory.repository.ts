import { Kvm, KvWatchInclude, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { Codecs, type DomainDirectory } from '@torii/contracts';

/** `value` is undefined for a domain deleted (a tombstone, or a KV delete from before tombstones). */
export type DirectoryChange = { domain: string; revision: number; value: DomainDirectory | undefined };

/**
 * The snapshot in a KV value, or undefined for a tombstone: the tenant service marks a deleted domain with a
 * DomainDirectory that names no domain (only the delete's revision), so that a late write of the old snapshot
 * is refused. Unknown, as a missing key: RCPT answers 550.
 */
export function snapshotOf(bytes: Uint8Array): DomainDirectory | undefined {
  const value = Codecs.domainDirectory.decode(bytes);
  return value.domain === '' ? undefined : value;
}

export interface DirectoryWatch {
  stop(): void;
  readonly done: Promise<void>;
}

/** The only code that reads the directory bucket (written by the tenant service). */
export class DirectoryRepository {
  private constructor(private readonly kv: KV) {}

  /** Opens the bucket; fails while it does not exist yet (the caller retries). */
  static async open(connection: NatsConnection, bucket: string): Promise<DirectoryRepository> {
    const kv = await new Kvm(connection).open(bucket);
    await kv.status(); // open() is lazy: make a missing bucket fail here
    return new DirectoryRepository(kv);
  }

  /** Every domain's current snapshot, with the revision of each entry (a tombstone's value is undefined). */
  async loadAll(): Promise<DirectoryChange[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    const entries: DirectoryChange[] = [];
    for (const key of keys) {
      const entry = await this.kv.get(key);
      if (entry && entry.operation === 'PUT') entries.push({ domain: key, revision: entry.revision, value: snapshotOf(entry.value) });
    }
    return entries;
  }

  /** Changes after now (puts and deletes). Undecodable values are reported and skipped. */
  async watchChanges(onChange: (change: DirectoryChange) => void, onError: (error: unknown) => void): Promise<DirectoryWatch> {
    const iterator = await this.kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly });
    const done = (async () => {
      for await (const entry of iterator) {
        try {
          const value = entry.operation === 'PUT' ? snapshotOf(entry.value) : undefined;
          onChange({ domain: entry.key, revision: entry.revision, value });
        } catch (error) {
          onError(error);
        }
      }
    })();
    return { stop: () => iterator.stop(), done };
  }
}
