import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  Codecs,
  Direction,
  DomainDirectorySchema,
  MailReceivedSchema,
  Subjects,
  create,
  timestampFromDate,
  type MailReceived,
  type MailSubmit,
  type MessageInitShape,
  type VirusVerdict,
} from '@torii/contracts';
import { createTestSchema, type TestSchema } from '@torii/db';
import { JetStreamPublisher, KvStore, connectNats, ensureStreams } from '@torii/messaging';
import { ObjectStore, messageKey } from '@torii/storage';
import { startNatsServer, startS3Server, uniqueName, type NatsServer, type S3Server } from '@torii/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createVirusScanApp } from '../../src/app';
import { virusScanConfigSchema, type VirusScanConfig } from '../../src/config/virus-scan.config';
import { VIRUS_SCAN_STREAMS } from '../../src/messaging/streams';
import { startClamd, type TestClamd } from './clamd';

export interface ScanHarness {
  config: VirusScanConfig;
  clamd: TestClamd;
  store: ObjectStore;
  verdicts: Map<string, VirusVerdict>;
  submits: MailSubmit[];
  app?: NestExpressApplication;
  putDomain(domain: string, over?: Partial<MessageInitShape<typeof DomainDirectorySchema>>): Promise<void>;
  /** `stored: false` publishes the event without putting the object (a message gone from the store). */
  publish(input: { domain: string; raw: Buffer; direction?: Direction; from?: string; to?: string[]; stored?: boolean }): Promise<MailReceived>;
  /** The virus-scan consumer's counts: messages delivered again, and deliveries not yet acked. */
  consumerCounts(): Promise<{ redelivered: number; ackPending: number }>;
  verdictOf(messageId: string, timeoutMs?: number): Promise<VirusVerdict>;
  close(): Promise<void>;
}

export function newId(): string {
  return `01${randomBytes(12).toString('hex').toUpperCase()}`.slice(0, 26);
}

/** A private NATS, S3 and clamd, a fresh `virus` schema, and the service running in-process. */
export async function startScanHarness(clamdEnv: Record<string, string> = {}, extraEnv: Record<string, string> = {}): Promise<ScanHarness> {
  const nats: NatsServer = await startNatsServer({ jetstream: true });
  const s3: S3Server = await startS3Server();
  const db: TestSchema = await createTestSchema({ schema: 'virus', prismaConfigPath: join(__dirname, '../../prisma.config.ts') });
  const clamd = await startClamd(clamdEnv);
  const bucket = uniqueName('mail').replaceAll('_', '-');
  const config = virusScanConfigSchema.parse({
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: bucket,
    HTTP_PORT: '0',
    MIGRATE_ON_BOOT: 'false',
    CLAMD_HOSTS: `${clamd.host}:${clamd.port}`,
    CLAMD_CONNECT_TIMEOUT: '1s',
    CLAMD_TIMEOUT: '20s',
    SCAN_RETRY_BASE: '200ms',
    SCAN_RETRY_MAX: '1s',
    GATEWAY_HOSTNAME: 'gw.torii.test',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  });
  const nc: NatsConnection = await connectNats({ servers: nats.url, name: 'virus-scan-test' });
  await ensureStreams(await jetstreamManager(nc), VIRUS_SCAN_STREAMS);
  const publisher = new JetStreamPublisher(nc);
  const store = ObjectStore.fromEnv(config);
  await store.ensureBucket();
  const directory = await KvStore.open(nc, config.DIRECTORY_BUCKET, Codecs.domainDirectory, { create: true });
  const verdicts = new Map<string, VirusVerdict>();
  const submits: MailSubmit[] = [];
  const subs: Subscription[] = [
    nc.subscribe(Subjects.verdictVirus, {
      callback: (_e, m) => {
        const v = Codecs.virusVerdict.decode(m.data);
        verdicts.set(v.messageId, v);
      },
    }),
    nc.subscribe(Subjects.mailSubmit, {
      callback: (_e, m) => {
        submits.push(Codecs.mailSubmit.decode(m.data));
      },
    }),
  ];

  const harness: ScanHarness = {
    config,
    clamd,
    store,
    verdicts,
    submits,
    async putDomain(domain, over = {}) {
      await directory.put(
        domain,
        create(DomainDirectorySchema, {
          domain,
          tenantId: 'tenant1',
          tenantName: 'Tenant One',
          active: true,
          services: { virus: { subscribed: true } },
          adminEmails: [`admin@${domain}`],
          ...(over as object),
        } as MessageInitShape<typeof DomainDirectorySchema>),
      );
    },
    async publish(input) {
      const id = newId();
      const receivedAt = new Date();
      const key = messageKey({ tenantId: 'tenant1', messageId: id, receivedAt });
      if (input.stored !== false) await store.put(key, Readable.from([input.raw]));
      const event = create(MailReceivedSchema, {
        messageId: id,
        tenantId: 'tenant1',
        domain: input.domain,
        direction: input.direction ?? Direction.INBOUND,
        envelope: { mailFrom: input.from ?? 'alice@sender.test', rcptTo: (input.to ?? [`bob@${input.domain}`]).map((address) => ({ address })) },
        receivedAt: timestampFromDate(receivedAt),
        size: BigInt(input.raw.length),
        sha256: createHash('sha256').update(input.raw).digest('hex'),
        bucket,
        objectKey: key,
      });
      await publisher.publish(Subjects.mailReceived(event.direction), Codecs.mailReceived, event, { msgId: id });
      return event;
    },
    async consumerCounts() {
      const info = await (await jetstreamManager(nc)).consumers.info('MAIL', 'virus-scan');
      return { redelivered: info.num_redelivered, ackPending: info.num_ack_pending };
    },
    async verdictOf(messageId, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const v = verdicts.get(messageId);
        if (v) return v;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no verdict for ${messageId}`);
    },
    async close() {
      await harness.app?.close();
      for (const s of subs) s.unsubscribe();
      await nc.close();
      await clamd.close();
      await s3.close();
      await nats.close();
      await db.drop();
    },
  };
  harness.app = await createVirusScanApp(config, { logger: false });
  await harness.app.init();
  return harness;
}
