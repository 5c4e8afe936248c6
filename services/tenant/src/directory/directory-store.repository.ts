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
import { connectNats, JetStreamPublisher, KvStore } from '@torii/messaging';
import type { SnapshotData } from './directory.rules';

export interface DirectoryStoreOptions {
  natsUrl: string;
  bucket: string;
}

/**
 * The directory as other services read it: one DomainDirectory per domain in the KV bucket, and a
 * DirectoryChanged notice on `directory.changed` (stream TENANT) after each write.
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

  async put(snapshot: SnapshotData): Promise<void> {
    const { kv, publisher } = this.ready();
    const message = create(DomainDirectorySchema, {
      ...snapshot,
      addresses: snapshot.addresses.map((a) => ({ ...a, kind: a.kind === 'list' ? AddressKind.LIST : AddressKind.MAILBOX })),
      limits: { maxMessageBytes: BigInt(snapshot.limits.maxMessageBytes) },
      revision: BigInt(snapshot.revision),
      updatedAt: timestampNow(),
    });
    await kv.put(snapshot.domain, message);
    await this.notify(publisher, snapshot.domain, snapshot.tenantId, snapshot.revision, ChangeKind.UPSERT);
  }

  async delete(domain: string, tenantId: string, revision: number): Promise<void> {
    const { kv, publisher } = this.ready();
    await kv.delete(domain);
    await this.notify(publisher, domain, tenantId, revision, ChangeKind.DELETE);
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
