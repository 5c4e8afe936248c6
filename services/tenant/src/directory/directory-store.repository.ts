import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  AddressKind,
  ChangeKind,
  Codecs,
  create,
  DirectoryChangedSchema,
  DomainDirectorySchema,
  Streams,
  Subjects,
  timestampNow,
  type DomainDirectory,
} from '@torii/contracts';
import { connectNats, isRevisionConflict, JetStreamPublisher, KvStore } from '@torii/messaging';
import type { SnapshotData } from './directory.rules';

/**
 * A deleted domain's entry: a DomainDirectory with no `domain`, only the delete's `revision` (and `updatedAt`).
 * Every reader of the bucket takes it for "no such domain" (as a missing key); a snapshot always names its
 * domain. An older edge indexes snapshots by that field, so it already answers 550 for a tombstone.
 */
export function isTombstone(value: DomainDirectory): boolean {
  return value.domain === '';
}

/** The domain's entry as read from the bucket. */
export interface StoredSnapshot {
  /** KV revision of the entry: the compare-and-set expects it. */
  entry: number;
  /** The snapshot's (or the tombstone's) DomainDirectory.revision. */
  revision: number;
  tombstone: boolean;
  tenantId: string;
  value: DomainDirectory;
}

export interface DirectoryStoreOptions {
  natsUrl: string;
  bucket: string;
}

/**
 * The directory as other services read it: one DomainDirectory per domain in the KV bucket (a tombstone once
 * deleted), and a DirectoryChanged notice on `directory.changed` (stream TENANT) after each write. Writes are
 * compare-and-set on the entry read before: see DirectoryService for the order that makes that sufficient.
 */
@Injectable()
export class DirectoryStoreRepository implements OnModuleDestroy {
  private readonly logger = new Logger('DirectoryStore');
  private connection?: NatsConnection;
  private kv?: KvStore<DomainDirectory>;
  private publisher?: JetStreamPublisher;

  constructor(private readonly options: DirectoryStoreOptions) {}

  /** Connects, creates the bucket and the TENANT stream when missing. */
  async open(): Promise<void> {
    this.connection = await connectNats({ servers: this.options.natsUrl, name: 'tenant', logger: this.logger });
    this.kv = await KvStore.open(this.connection, this.options.bucket, Codecs.domainDirectory, { create: true, history: 5 });
    const jsm = await jetstreamManager(this.connection);
    await jsm.streams.info(Streams.TENANT.name).catch(async () => {
      await jsm.streams.add({ ...Streams.TENANT, subjects: [...Streams.TENANT.subjects] });
    });
    this.publisher = new JetStreamPublisher(this.connection);
  }

  /** The domain's entry as stored now (null when absent, or deleted the old way): read it before the facts. */
  async read(domain: string): Promise<StoredSnapshot | null> {
    const { kv } = this.ready();
    const entry = await kv.get(domain);
    if (!entry) return null;
    const tombstone = isTombstone(entry.value);
    return { entry: entry.revision, revision: Number(entry.value.revision), tombstone, tenantId: entry.value.tenantId, value: entry.value };
  }

  /** Every key of the bucket with a value (snapshots and tombstones; keys deleted the old way are left out). */
  keys(): Promise<string[]> {
    return this.ready().kv.keys();
  }

  /** The snapshot as it would be stored (`updatedAt` aside): equal to `stored.value` means nothing to write. */
  toMessage(snapshot: SnapshotData): DomainDirectory {
    return create(DomainDirectorySchema, {
      ...snapshot,
      addresses: snapshot.addresses.map((a) => ({ ...a, kind: a.kind === 'list' ? AddressKind.LIST : AddressKind.MAILBOX })),
      limits: { maxMessageBytes: BigInt(snapshot.limits.maxMessageBytes) },
      revision: BigInt(snapshot.revision),
    });
  }

  /**
   * Writes the snapshot over `over` (what `read` returned) only if the entry is still that one (compare-and-set
   * on the KV revision), then announces it. False when another write came first: read again and decide again.
   */
  async put(snapshot: SnapshotData, over: StoredSnapshot | null): Promise<boolean> {
    const message = this.toMessage(snapshot);
    message.updatedAt = timestampNow();
    if (!(await this.write(snapshot.domain, message, over))) return false;
    await this.announce(snapshot.domain, snapshot.tenantId, snapshot.revision, ChangeKind.UPSERT);
    return true;
  }

  /**
   * Replaces the entry with a tombstone carrying the delete's revision (see isTombstone), compare-and-set as
   * `put`: a plain KV delete would leave nothing to refuse a late write of the old snapshot with.
   */
  async tombstone(domain: string, tenantId: string, revision: number, over: StoredSnapshot | null): Promise<boolean> {
    const message = create(DomainDirectorySchema, { revision: BigInt(revision), updatedAt: timestampNow() });
    if (!(await this.write(domain, message, over))) return false;
    await this.announce(domain, tenantId, revision, ChangeKind.DELETE);
    return true;
  }

  /** Announces the entry as it is (a write that found it already there, e.g. at boot: an earlier notice may be lost). */
  async announce(domain: string, tenantId: string, revision: number, kind: ChangeKind): Promise<void> {
    await this.notify(this.ready().publisher, domain, tenantId, revision, kind);
  }

  private async write(domain: string, message: DomainDirectory, over: StoredSnapshot | null): Promise<boolean> {
    const { kv } = this.ready();
    try {
      // create() also succeeds over a delete marker (entries deleted before tombstones existed).
      if (over) await kv.update(domain, message, over.entry);
      else await kv.create(domain, message);
      return true;
    } catch (error) {
      if (isRevisionConflict(error)) return false;
      throw error;
    }
  }

  private async notify(publisher: JetStreamPublisher, domain: string, tenantId: string, revision: number, kind: ChangeKind): Promise<void> {
    const event = create(DirectoryChangedSchema, { domain, tenantId, revision: BigInt(revision), kind, changedAt: timestampNow() });
    await publisher.publish(Subjects.directoryChanged, Codecs.directoryChanged, event, {
      msgId: `directory:${domain}:${revision}:${kind}`,
      expectStream: Streams.TENANT.name,
    });
  }

  /** Readiness: connected, and the NATS server answers a round trip. */
  async ping(): Promise<void> {
    if (!this.connection || this.connection.isClosed()) throw new Error('NATS not connected');
    await this.connection.flush();
  }

  private ready(): { kv: KvStore<DomainDirectory>; publisher: JetStreamPublisher } {
    if (!this.kv || !this.publisher) throw new Error('directory store is not open');
    return { kv: this.kv, publisher: this.publisher };
  }

  async onModuleDestroy(): Promise<void> {
    await this.connection?.drain().catch(() => this.connection?.close());
  }
}
