import {
  Codecs,
  SpamAction,
  SpamVerdictSchema,
  Subjects,
  VirusStatus,
  VirusVerdictSchema,
  create,
  type MailReceived,
} from '@torii/contracts';
import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { eventually, rawMessage, startHarness, type Harness } from './support/harness';

describe('verdict join', () => {
  let h: Harness;
  const subscribed = { spam: { subscribed: true }, virus: { subscribed: true }, archive: { subscribed: false } };
  beforeAll(async () => {
    h = await startHarness({ VERDICT_TIMEOUT_SPAM: '1500ms', VERDICT_TIMEOUT_VIRUS: '1500ms' });
    await h.putDomain('filtered.test', { services: subscribed });
    await h.putDomain('open.test', { services: { ...subscribed, virus: { subscribed: false } } });
    await h.startApp();
  }, 60_000);
  afterAll(async () => h?.close());

  const status = (id: string) => h.app!.get(DeliveryRepository).findMessage(id);
  const spam = (event: MailReceived, decisions: { recipient: string; action: SpamAction; subjectTag?: string }[]) =>
    h.publisher.publish(
      Subjects.verdictSpam,
      Codecs.spamVerdict,
      create(SpamVerdictSchema, { messageId: event.messageId, tenantId: 'tenant1', outcome: { kind: 1 }, headerValue: '7.00%', recipients: decisions }),
      { msgId: `${event.messageId}:spam` },
    );
  const virus = (event: MailReceived, status: VirusStatus) =>
    h.publisher.publish(
      Subjects.verdictVirus,
      Codecs.virusVerdict,
      create(VirusVerdictSchema, { messageId: event.messageId, tenantId: 'tenant1', outcome: { kind: 2 }, status, engine: 'ClamAV test' }),
      { msgId: `${event.messageId}:virus` },
    );

  it('waits for both verdicts, then applies them per recipient', async () => {
    const event = await h.storeMessage({ domain: 'filtered.test', from: 'a@sender.test', to: ['q@filtered.test', 't@filtered.test', 'ok@filtered.test'], raw: rawMessage('join-1@sender.test') });
    await h.publishReceived(event);
    await spam(event, [
      { recipient: 'q@filtered.test', action: SpamAction.QUARANTINE },
      { recipient: 't@filtered.test', action: SpamAction.TAG, subjectTag: '[SPAM]' },
    ]);
    await new Promise((r) => setTimeout(r, 400));
    expect((await status(event.messageId))?.recipients.every((r) => r.state === 'awaiting_verdicts')).toBe(true);
    await virus(event, VirusStatus.CLEAN);
    const tagged = await h.tenantSink.waitFor((m) => m.messageId === 'join-1@sender.test' && m.envelope.rcptTo.includes('t@filtered.test'));
    const plain = await h.tenantSink.waitFor((m) => m.messageId === 'join-1@sender.test' && m.envelope.rcptTo.includes('ok@filtered.test'));
    expect(tagged.envelope.rcptTo).toEqual(['t@filtered.test']); // its own transaction: another treatment
    expect(tagged.raw.toString()).toMatch(/Subject: \[SPAM\] test join-1/);
    expect(plain.raw.toString()).toContain('X-Torii-Spam-Check: 7.00%');
    expect(plain.raw.toString()).toContain('X-Torii-Virus-Check: clean (ClamAV test)');
    const rows = await eventually(async () => {
      const s = await status(event.messageId);
      return s?.recipients.every((r) => r.state !== 'awaiting_verdicts' && r.state !== 'pending' && r.state !== 'delivering') ? s : undefined;
    });
    expect(Object.fromEntries(rows.recipients.map((r) => [r.address, r.state]))).toEqual({
      'q@filtered.test': 'quarantined',
      't@filtered.test': 'delivered',
      'ok@filtered.test': 'delivered',
    });
  });

  it('spam verdict missing: fails open after its timeout, with a header saying so', async () => {
    const event = await h.storeMessage({ domain: 'open.test', from: 'a@sender.test', to: ['x@open.test'], raw: rawMessage('join-2@sender.test') });
    const started = Date.now();
    await h.publishReceived(event);
    const got = await h.tenantSink.waitFor((m) => m.messageId === 'join-2@sender.test', 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(got.raw.toString()).toMatch(/X-Torii-Spam-Check: not checked \(timed out\)/);
  });

  it('virus verdict missing: fails closed (held, never delivered unscanned)', async () => {
    const event = await h.storeMessage({ domain: 'filtered.test', from: 'a@sender.test', to: ['y@filtered.test'], raw: rawMessage('join-3@sender.test') });
    await h.publishReceived(event);
    await spam(event, []);
    const rows = await eventually(async () => {
      const s = await status(event.messageId);
      return s?.recipients[0]?.state === 'held' ? s : undefined;
    }, 10_000, 'held');
    expect(rows.recipients[0].reason).toBe('virus-unchecked');
    expect(h.tenantSink.messages.some((m) => m.messageId === 'join-3@sender.test')).toBe(false);
  });

  it('an infected message is dropped', async () => {
    const event = await h.storeMessage({ domain: 'filtered.test', from: 'a@sender.test', to: ['z@filtered.test'], raw: rawMessage('join-4@sender.test') });
    await h.publishReceived(event);
    await virus(event, VirusStatus.INFECTED);
    await spam(event, []);
    await eventually(async () => (await status(event.messageId))?.recipients[0]?.state === 'dropped', 10_000, 'dropped');
  });
});
