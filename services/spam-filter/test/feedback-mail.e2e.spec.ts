/**
 * SPAM14 by mail over the bus: a message scored as the edge's MailReceived makes it, then a report forwarded
 * to the feedback address as the edge announces it (FeedbackMail, the report stored under `feedback/`).
 * spam-filter in process against a private nats-server, Postgres and s3rver; no delivery (nothing is sent).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  Codecs,
  Direction,
  DomainDirectorySchema,
  FeedbackKind,
  FeedbackMailSchema,
  MailReceivedSchema,
  Streams,
  Subjects,
  create,
  newMessageId,
  timestampFromDate,
  type MailReceived,
} from '@torii/contracts';
import { createTestSchema, type TestSchema } from '@torii/db';
import { formatReceived } from '@torii/mime';
import { JetStreamPublisher, KvStore, connectNats, ensureStreams, streamSpecOf } from '@torii/messaging';
import { ObjectStore, messageKey } from '@torii/storage';
import { startNatsServer, startS3Server, uniqueName, type NatsServer, type S3Server } from '@torii/testing';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { createSpamFilterApp } from '../src/app';
import { spamFilterConfigSchema } from '../src/config';
import { PrismaService } from '../src/db/prisma.service';

const SPAM = readFileSync(join(dirname(require.resolve('@torii/spam-engine/package.json')), 'fixtures', 'spam-en.eml'));
const DOMAIN = 'feedback-e2e.test';
const TENANT = '7a1f0c2e-0000-4000-8000-000000000007';
const STREAMS = [Streams.MAIL, Streams.VERDICTS, Streams.DELIVERY].map(streamSpecOf);

jest.setTimeout(120_000);

describe('feedback by mail (SPAM14)', () => {
  let nats: NatsServer;
  let s3: S3Server;
  let spamDb: TestSchema;
  let nc: NatsConnection;
  let publisher: JetStreamPublisher;
  let store: ObjectStore;
  let app: NestExpressApplication;
  let bucket: string;

  beforeAll(async () => {
    [nats, s3] = await Promise.all([startNatsServer(), startS3Server()]);
    spamDb = await createTestSchema({ schema: 'spam', prismaConfigPath: join(__dirname, '..', 'prisma.config.ts') });
    bucket = uniqueName('mail').replaceAll('_', '-');
    nc = await connectNats({ servers: nats.url, name: 'feedback-mail-e2e' });
    await ensureStreams(await jetstreamManager(nc), STREAMS);
    publisher = new JetStreamPublisher(nc);
    const directory = await KvStore.open(nc, 'directory', Codecs.domainDirectory, { create: true });
    await directory.put(
      DOMAIN,
      create(DomainDirectorySchema, {
        domain: DOMAIN,
        tenantId: TENANT,
        tenantName: 'Feedback E2E',
        active: true,
        services: { spam: { subscribed: true } },
        addresses: ['alice', 'bob'].map((localPart) => ({ localPart, kind: 1 })),
        server: { hostname: 'mail.feedback-e2e.test', ips: ['127.0.0.1'], port: 25 },
      }),
    );
    store = ObjectStore.fromEnv({ S3_ENDPOINT: s3.endpoint, S3_BUCKET: bucket } as never);
    await store.ensureBucket();
    const config = spamFilterConfigSchema.parse({
      NATS_URL: nats.url,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
      HTTP_PORT: '0',
      DATABASE_URL: spamDb.url,
      MIGRATE_ON_BOOT: 'false',
      LOG_LEVEL: process.env.E2E_LOGS ? 'debug' : 'warn',
      SPAM_MODEL_WATCH: '0',
    });
    app = await createSpamFilterApp(config, { ...(process.env.E2E_LOGS ? {} : { logger: false as const }), jwks: { keys: async () => ({ keys: [] }) } });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await s3?.close();
    await nats?.close();
    await spamDb?.drop();
  });

  const db = () => app.get(PrismaService);

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Inbound mail as the edge announces it, scored by spam-filter before this returns. */
  async function scored(raw: Buffer, to: string): Promise<MailReceived> {
    const messageId = newMessageId();
    const receivedAt = new Date();
    const key = messageKey({ tenantId: TENANT, messageId, receivedAt });
    await store.put(key, Readable.from([raw]));
    const event = create(MailReceivedSchema, {
      messageId,
      tenantId: TENANT,
      domain: DOMAIN,
      direction: Direction.INBOUND,
      envelope: { mailFrom: 'bounce@sender.example', rcptTo: [{ address: to }] },
      client: { ip: '192.0.2.7', port: 40000, helo: 'mx.sender.example', ptr: 'mx.sender.example' },
      auth: { spf: { result: 'pass', domain: 'sender.example' } },
      receivedAt: timestampFromDate(receivedAt),
      size: BigInt(raw.length),
      sha256: createHash('sha256').update(raw).digest('hex'),
      bucket,
      objectKey: key,
      receivedBy: 'edge.torii.test',
    });
    await publisher.publish(Subjects.mailReceivedIn, Codecs.mailReceived, event, { msgId: messageId });
    await until(`${messageId} scored`, () => db().scoredMessage.findUnique({ where: { messageId } }));
    return event;
  }

  /** The copy delivery handed to `to`: our Received on top of the message as it came. */
  function deliveredCopy(event: MailReceived, raw: Buffer, to: string): string {
    const received = formatReceived({ fromHelo: 'mx.sender.example', fromPtr: 'mx.sender.example', fromIp: '192.0.2.7', by: 'gw.torii.test', with: 'ESMTP', id: event.messageId, for: to, date: new Date() });
    return `${received}\r\n${raw.toString('latin1')}`;
  }

  /** A forward with `attached` as message/rfc822 parts, stored and announced as the edge does. */
  async function report(reporter: string, kind: FeedbackKind, attached: string[]): Promise<string> {
    const boundary = 'fwd-boundary';
    const parts = ['Content-Type: text/plain\r\n\r\nThis got through.', ...attached.map((m) => `Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="message.eml"\r\n\r\n${m}`)];
    const raw = Buffer.from(
      `From: <${reporter}>\r\nTo: <spam@feedback.torii.test>\r\nSubject: Fwd: spam\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n` +
        parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') +
        `--${boundary}--\r\n`,
      'latin1',
    );
    const reportId = newMessageId();
    const receivedAt = new Date();
    const objectKey = `feedback/${TENANT}/${receivedAt.toISOString().slice(0, 10).replaceAll('-', '/')}/${reportId}.eml`;
    await store.put(objectKey, Readable.from([raw]));
    const event = create(FeedbackMailSchema, {
      reportId,
      tenantId: TENANT,
      domain: DOMAIN,
      reporter,
      kind,
      bucket,
      objectKey,
      receivedAt: timestampFromDate(receivedAt),
      size: BigInt(raw.length),
      sha256: createHash('sha256').update(raw).digest('hex'),
    });
    await publisher.publish(Subjects.mailFeedback, Codecs.feedbackMail, event, { msgId: reportId });
    return objectKey;
  }

  /** The report is deleted once read: the sign that spam-filter is done with it. */
  const handled = (objectKey: string) => until(`${objectKey} handled`, async () => (await store.stat(objectKey)) === null);

  it('learns from a forwarded copy of mail to the reporter, once, and audits it as mail:<reporter>', async () => {
    const alice = `alice@${DOMAIN}`;
    const event = await scored(SPAM, alice);
    const key = await report('Alice@Feedback-E2E.test', FeedbackKind.FALSE_NEGATIVE, [deliveredCopy(event, SPAM, alice)]);
    await handled(key);

    const feedback = await db().feedback.findUnique({ where: { tenantId_messageId: { tenantId: TENANT, messageId: event.messageId } } });
    expect(feedback).toMatchObject({ label: 'spam', actor: `mail:${alice}` });
    const delta = await db().tenantDelta.findUnique({ where: { tenantId: TENANT } });
    expect(delta).not.toBeNull();
    const audit = await db().auditLog.findMany({ where: { tenantId: TENANT, action: 'spam.feedback', target: event.messageId } });
    expect(audit).toEqual([expect.objectContaining({ actor: `mail:${alice}`, actorRole: 'user', domain: DOMAIN, details: { kind: 'false-negative' } })]);

    // The same report again (a second forward, or a redelivery) teaches nothing more.
    await handled(await report(alice, FeedbackKind.FALSE_POSITIVE, [deliveredCopy(event, SPAM, alice)]));
    expect(await db().feedback.count({ where: { tenantId: TENANT, messageId: event.messageId } })).toBe(1);
    expect(await db().auditLog.count({ where: { tenantId: TENANT, action: 'spam.feedback', target: event.messageId } })).toBe(1);
  });

  it('learns nothing from an attached message that was not addressed to the reporter', async () => {
    const bob = `bob@${DOMAIN}`;
    const event = await scored(Buffer.from(SPAM.toString('latin1').replace(/^Subject: .*$/m, 'Subject: for bob only'), 'latin1'), bob);
    const delta = await db().tenantDelta.findUnique({ where: { tenantId: TENANT } });
    await handled(await report(`alice@${DOMAIN}`, FeedbackKind.FALSE_NEGATIVE, [deliveredCopy(event, SPAM, bob)]));

    expect(await db().feedback.count({ where: { tenantId: TENANT, messageId: event.messageId } })).toBe(0);
    expect(await db().auditLog.count({ where: { tenantId: TENANT, action: 'spam.feedback', target: event.messageId } })).toBe(0);
    expect((await db().tenantDelta.findUnique({ where: { tenantId: TENANT } }))?.updatedAt).toEqual(delta?.updatedAt);
  });
});
