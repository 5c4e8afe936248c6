import { sidecarKey } from '@torii/storage';
import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { eventually, rawMessage, startHarness, type Harness } from './support/harness';

/**
 * The stored copy of a message can disappear for two reasons, and they need opposite answers:
 * - the edge withdrew it (its publish ack was lost: it answered 451 and deleted the sidecar, then the object),
 *   while the event still reached the stream. The client sends again; this copy must vanish quietly.
 * - storage lost it after the edge said 250 (the sidecar is still there). Retrying cannot help; the sender
 *   must get a DSN at once rather than after days of retries.
 */
describe('a message whose stored object is gone', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.dns['sender.test'] = { MX: [{ exchange: 'mx.sender.test', priority: 10 }] };
    h.dns['mx.sender.test'] = { A: ['127.0.0.1'] };
    await h.putDomain('tenant.test');
    await h.startApp();
  }, 60_000);
  afterAll(async () => h?.close());
  afterEach(async () => {
    await h.tenantSink.up();
    h.tenantSink.reset();
  });

  const status = (id: string) => h.app!.get(DeliveryRepository).findMessage(id);

  it('ignores an event the edge withdrew before delivery took it in', async () => {
    const event = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['bob@tenant.test'], raw: rawMessage('withdrawn-1@sender.test') });
    await h.store.delete(sidecarKey(event.objectKey));
    await h.store.delete(event.objectKey);
    await h.publishReceived(event);
    // A later message on the same stream is taken in: the withdrawn one was settled (acked), not stuck.
    const later = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['bob@tenant.test'], raw: rawMessage('withdrawn-2@sender.test') });
    await h.publishReceived(later);
    await h.tenantSink.waitFor((m) => m.messageId === 'withdrawn-2@sender.test', 15_000);
    expect(await status(event.messageId)).toBeNull();
    expect(h.tenantSink.messages.some((m) => m.messageId === 'withdrawn-1@sender.test')).toBe(false);
  });

  it('drops, without a DSN, a message withdrawn after it was taken in', async () => {
    await h.tenantSink.down();
    const event = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['carol@tenant.test'], raw: rawMessage('withdrawn-3@sender.test') });
    await h.publishReceived(event);
    await eventually(async () => (await status(event.messageId))?.recipients[0]?.state === 'deferred', 15_000, 'deferred');
    await h.store.delete(sidecarKey(event.objectKey));
    await h.store.delete(event.objectKey);
    await h.tenantSink.up();
    const row = await eventually(async () => {
      const s = await status(event.messageId);
      return s?.recipients[0]?.state === 'dropped' ? s : undefined;
    }, 15_000, 'dropped');
    expect(row.recipients[0]).toMatchObject({ reason: 'withdrawn', dsnPending: false });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(h.internetSink.messages.some((m) => m.raw.includes('withdrawn-3@sender.test'))).toBe(false);
    expect(h.tenantSink.messages.some((m) => m.messageId === 'withdrawn-3@sender.test')).toBe(false);
  });

  it('bounces at once, with a DSN, a message whose object storage lost after the 250', async () => {
    await h.tenantSink.down();
    const event = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['dave@tenant.test'], raw: rawMessage('lost-1@sender.test') });
    await h.publishReceived(event);
    await eventually(async () => (await status(event.messageId))?.recipients[0]?.state === 'deferred', 15_000, 'deferred');
    await h.store.delete(event.objectKey); // the sidecar stays: the edge did say 250
    await h.tenantSink.up();
    const dsn = await h.internetSink.waitFor((m) => m.envelope.rcptTo.includes('alice@sender.test') && m.raw.includes(event.messageId), 20_000);
    const text = dsn.raw.toString('latin1');
    expect(dsn.envelope.mailFrom).toBe('');
    expect(text).toContain('Final-Recipient: rfc822;dave@tenant.test');
    expect(text).toContain('Status: 5.3.0');
    const row = await status(event.messageId);
    expect(row?.recipients[0]).toMatchObject({ state: 'bounced', reason: 'content-lost' });
    expect(h.tenantSink.messages.some((m) => m.messageId === 'lost-1@sender.test')).toBe(false);
  });
});
