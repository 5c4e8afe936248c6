/**
 * SPAM14 by mail over the bus: a message scored as the edge's MailReceived makes it, then a report forwarded
 * to the feedback address as the edge announces it (FeedbackMail, the report stored under `feedback/`).
 * spam-filter in process against a private nats-server, Postgres and s3rver; no delivery (nothing is sent).
 */
import {
  Codecs,
  FeedbackKind,
  FeedbackMailSchema,
  Subjects,
  create,
  newMessageId,
  timestampFromDate,
  type MailReceived,
} from '@torii/contracts';
import { formatReceived } from '@torii/mime';
import { sidecarKey } from '@torii/storage';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { FeedbackMailService } from '../src/feedback/feedback-mail.service';
import { startTestbed, until, type Testbed } from './support/testbed';

const SPAM = readFileSync(join(dirname(require.resolve('@torii/spam-engine/package.json')), 'fixtures', 'spam-en.eml'));
const DOMAIN = 'feedback-e2e.test';
const TENANT = '7a1f0c2e-0000-4000-8000-000000000007';

jest.setTimeout(120_000);

describe('feedback by mail (SPAM14)', () => {
  let bed: Testbed;

  beforeAll(async () => {
    bed = await startTestbed({
      name: 'feedback-mail-e2e',
      directory: {
        domain: DOMAIN,
        tenantId: TENANT,
        tenantName: 'Feedback E2E',
        active: true,
        services: { spam: { subscribed: true } },
        addresses: ['alice', 'bob'].map((localPart) => ({ localPart, kind: 1 })),
        server: { hostname: 'mail.feedback-e2e.test', ips: ['127.0.0.1'], port: 25 },
      },
    });
  });

  afterAll(async () => {
    await bed?.close();
  });

  const db = () => bed.db();

  /** Inbound mail as the edge announces it, scored by spam-filter before this returns. */
  async function scored(raw: Buffer, to: string): Promise<MailReceived> {
    const event = await bed.receive({ raw, to: [to], tenantId: TENANT, domain: DOMAIN, messageId: newMessageId() });
    const { messageId } = event;
    await until(`${messageId} scored`, () => db().scoredMessage.findUnique({ where: { messageId } }));
    return event;
  }

  /** The copy delivery handed to `to`: our Received on top of the message as it came. */
  function deliveredCopy(event: MailReceived, raw: Buffer, to: string): string {
    const received = formatReceived({ fromHelo: 'mx.sender.example', fromPtr: 'mx.sender.example', fromIp: '192.0.2.7', by: 'gw.torii.test', with: 'ESMTP', id: event.messageId, for: to, date: new Date() });
    return `${received}\r\n${raw.toString('latin1')}`;
  }

  /** A forward with `attached` as message/rfc822 parts, stored and announced as the edge does. */
  async function report(reporter: string, kind: FeedbackKind, attached: string[], { publish = true } = {}): Promise<string> {
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
    await bed.store.put(objectKey, Readable.from([raw]));
    const event = create(FeedbackMailSchema, {
      reportId,
      tenantId: TENANT,
      domain: DOMAIN,
      reporter,
      kind,
      bucket: bed.bucket,
      objectKey,
      receivedAt: timestampFromDate(receivedAt),
      size: BigInt(raw.length),
      sha256: createHash('sha256').update(raw).digest('hex'),
    });
    await bed.store.put(sidecarKey(objectKey), Readable.from([Buffer.from(Codecs.feedbackMail.encode(event))]));
    if (publish) await bed.publisher.publish(Subjects.mailFeedback, Codecs.feedbackMail, event, { msgId: reportId });
    return objectKey;
  }

  /** The report and its sidecar are deleted once read: the sign that spam-filter is done with it. */
  const handled = (objectKey: string) =>
    until(`${objectKey} handled`, async () => (await bed.store.stat(objectKey)) === null && (await bed.store.stat(sidecarKey(objectKey))) === null);

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
  it('learns from a report whose event was lost: the sweep finds its sidecar once the grace has passed', async () => {
    const alice = `alice@${DOMAIN}`;
    const event = await scored(SPAM, alice);
    const key = await report(alice, FeedbackKind.FALSE_NEGATIVE, [deliveredCopy(event, SPAM, alice)], { publish: false });
    const sweeper = bed.app.get(FeedbackMailService);
    // Within the grace the report is left to its event.
    expect(await sweeper.sweep(new Date())).toBe(0);
    expect(await db().feedback.count({ where: { tenantId: TENANT, messageId: event.messageId } })).toBe(0);
    // Past it, it is learned from and removed, report and sidecar.
    expect(await sweeper.sweep(new Date(Date.now() + 11 * 60_000))).toBe(1);
    expect(await db().feedback.findUnique({ where: { tenantId_messageId: { tenantId: TENANT, messageId: event.messageId } } })).toMatchObject({ label: 'spam', actor: `mail:${alice}` });
    expect(await bed.store.stat(key)).toBeNull();
    expect(await bed.store.stat(sidecarKey(key))).toBeNull();
  });
});
