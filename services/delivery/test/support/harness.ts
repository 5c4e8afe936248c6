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
  type MessageInitShape,
} from '@torii/contracts';
import { createTestSchema, type TestSchema } from '@torii/db';
import { JetStreamPublisher, KvStore, connectNats, ensureStreams } from '@torii/messaging';
import { jetstreamManager } from '@nats-io/jetstream';
import { DELIVERY_STREAMS } from '../../src/messaging/streams';
import { ObjectStore, messageKey } from '@torii/storage';
import { startS3Server, startSmtpSink, uniqueName, type S3Server, type SmtpSink } from '@torii/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createDeliveryApp, type DeliveryAppOptions } from '../../src/app';
import { deliveryConfigSchema, type DeliveryConfig } from '../../src/config/delivery.config';
import { StaticDnsResolver, type DnsRecords } from '../../src/routing/resolver';
import { startPrivateNats, type PrivateNats } from './nats-server';

export interface Harness {
  config: DeliveryConfig;
  env: Record<string, string>;
  nats: PrivateNats;
  nc: NatsConnection;
  publisher: JetStreamPublisher;
  store: ObjectStore;
  s3: S3Server;
  db: TestSchema;
  /** The tenant's own mail server. */
  tenantSink: SmtpSink;
  /** Every recipient MX on the Internet (outbound and DSNs to external senders). */
  internetSink: SmtpSink;
  dns: DnsRecords;
  app?: NestExpressApplication;
  /** Starts delivery in this process; `options` adds to the harness's (e.g. `jwks` for tests that sign tokens). */
  startApp(options?: DeliveryAppOptions): Promise<NestExpressApplication>;
  stopApp(): Promise<void>;
  putDomain(domain: string, over?: Partial<MessageInitShape<typeof DomainDirectorySchema>>): Promise<void>;
  /** Stores a raw message (and its sidecar) and returns the MailReceived to publish. */
  storeMessage(input: { domain: string; direction?: Direction; from: string; to: (string | { address: string; notify?: number[]; orcpt?: string })[]; raw: Buffer; ret?: number; envid?: string; tenantId?: string; sidecar?: boolean; auth?: MessageInitShape<typeof MailReceivedSchema>['auth'] }): Promise<MailReceived>;
  publishReceived(event: MailReceived): Promise<void>;
  close(): Promise<void>;
}

export function rawMessage(messageId: string, extraHeaders = '', body = 'Hello there.\r\nSecond line.\r\n'): Buffer {
  return Buffer.from(
    `From: <alice@sender.test>\r\nTo: <bob@tenant.test>\r\nSubject: test ${messageId}\r\nMessage-ID: <${messageId}>\r\n` +
      `Date: Sun, 1 Jun 2025 10:00:00 +0000\r\n${extraHeaders}MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n${body}`,
  );
}

export function newId(): string {
  return `01${randomBytes(12).toString('hex').toUpperCase()}`.slice(0, 26);
}

export async function startHarness(extraEnv: Record<string, string> = {}): Promise<Harness> {
  const nats = await startPrivateNats();
  const s3 = await startS3Server();
  const db = await createTestSchema({ schema: 'delivery', prismaConfigPath: join(__dirname, '../../prisma.config.ts') });
  const tenantSink = await startSmtpSink({ tls: true });
  const internetSink = await startSmtpSink();
  const bucket = uniqueName('mail').replaceAll('_', '-');
  const dnsFile = join(require('node:os').tmpdir(), `${uniqueName('dns')}.json`);
  const dns: DnsRecords = {};
  const env: Record<string, string> = {
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: bucket,
    GATEWAY_HOSTNAME: 'gw.torii.test',
    AUTHSERV_ID: 'gw.torii.test',
    SMTP_OUTBOUND_PORT: String(internetSink.port),
    DNS_OVERRIDES_FILE: dnsFile,
    HTTP_PORT: '0',
    MIGRATE_ON_BOOT: 'false',
    RETRY_DELAYS: '300ms',
    RETRY_JITTER: '0',
    WORKER_POLL: '100ms',
    OUTBOX_POLL: '100ms',
    RECONCILE_ENABLED: 'false',
    SMTP_CONNECT_TIMEOUT: '2s',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const config = deliveryConfigSchema.parse(env);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(dnsFile, JSON.stringify(dns));
  const nc = await connectNats({ servers: nats.url, name: 'delivery-test' });
  // The service ensures the same streams at boot; a test may publish before it runs.
  await ensureStreams(await jetstreamManager(nc), DELIVERY_STREAMS);
  const publisher = new JetStreamPublisher(nc);
  const store = ObjectStore.fromEnv(config);
  await store.ensureBucket();
  const directory = await KvStore.open(nc, config.DIRECTORY_BUCKET, Codecs.domainDirectory, { create: true });

  const harness: Harness = {
    config,
    env,
    nats,
    nc,
    publisher,
    store,
    s3,
    db,
    tenantSink,
    internetSink,
    dns,
    async startApp(options = {}) {
      await writeFile(dnsFile, JSON.stringify(dns));
      harness.app = await createDeliveryApp(config, { logger: false, resolver: new StaticDnsResolver(dns), ...options });
      await harness.app.init();
      return harness.app;
    },
    async stopApp() {
      await harness.app?.close();
      harness.app = undefined;
    },
    async putDomain(domain, over = {}) {
      await directory.put(
        domain,
        create(DomainDirectorySchema, {
          domain,
          tenantId: 'tenant1',
          tenantName: 'Tenant One',
          active: true,
          server: { hostname: 'mail.tenant1.test', ips: ['127.0.0.1'], port: tenantSink.port },
          ...(over as object),
        } as MessageInitShape<typeof DomainDirectorySchema>),
      );
    },
    async storeMessage(input) {
      const id = newId();
      const receivedAt = new Date();
      const tenantId = input.tenantId ?? 'tenant1';
      const key = messageKey({ tenantId, messageId: id, receivedAt });
      const sha256 = createHash('sha256').update(input.raw).digest('hex');
      await store.put(key, Readable.from([input.raw]));
      const event = create(MailReceivedSchema, {
        messageId: id,
        tenantId,
        domain: input.domain,
        direction: input.direction ?? Direction.INBOUND,
        envelope: {
          mailFrom: input.from,
          rcptTo: input.to.map((t) => (typeof t === 'string' ? { address: t } : { address: t.address, notify: t.notify ?? [], orcpt: t.orcpt ?? '' })),
          ret: input.ret ?? 0,
          envid: input.envid ?? '',
        },
        client: { ip: '192.0.2.7', port: 40000, helo: 'mx.sender.test', ptr: 'mx.sender.test', tls: { enabled: true, version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } },
        auth: input.auth ?? {
          spf: { result: 'pass', domain: 'sender.test' },
          authenticationResultsHeader: 'gw.torii.test; spf=pass smtp.mailfrom=sender.test',
        },
        receivedAt: timestampFromDate(receivedAt),
        size: BigInt(input.raw.length),
        sha256,
        bucket,
        objectKey: key,
        receivedBy: 'edge.torii.test',
      });
      if (input.sidecar !== false) {
        await store.put(key.replace(/\.eml$/, '.json'), Readable.from([Buffer.from(Codecs.mailReceived.encode(event))]), {
          contentType: 'application/json',
        });
      }
      return event;
    },
    async publishReceived(event) {
      await publisher.publish(Subjects.mailReceived(event.direction), Codecs.mailReceived, event, { msgId: event.messageId });
    },
    async close() {
      const step = async (name: string, fn: () => Promise<unknown>) => {
        const t0 = Date.now();
        const slow = setTimeout(() => process.stderr.write(`harness close: ${name} still running after 10 s\n`), 10_000);
        try { await fn(); } finally { clearTimeout(slow); if (process.env.DEBUG_CLOSE) process.stderr.write(`close ${name} ${Date.now()-t0}ms\n`); }
      };
      await step('app', () => harness.stopApp());
      await step('nc', () => nc.close());
      await step('tenantSink', () => tenantSink.close());
      await step('internetSink', () => internetSink.close());
      await step('s3', () => s3.close());
      await step('nats', () => nats.stop());
      await step('db', () => db.drop());
    },
  };
  return harness;
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
