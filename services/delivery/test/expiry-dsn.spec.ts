import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { eventually, rawMessage, startHarness, type Harness } from './support/harness';

/**
 * Delivery retries a deferred recipient itself (DEFERRAL_MODE=local) until RETRY_GIVE_UP, then bounces it: the
 * failure DSN says 5.4.7 (delivery time expired, RFC 3463) and, as no SMTP reply came from a server that is down,
 * says so in words without the tenant server's address.
 */
describe('a recipient given up after the retry period', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RETRY_DELAYS: '200ms', RETRY_GIVE_UP: '1500ms' });
    h.dns['sender.test'] = { MX: [{ exchange: 'mx.sender.test', priority: 10 }] };
    h.dns['mx.sender.test'] = { A: ['127.0.0.1'] };
    await h.putDomain('tenant.test');
    await h.startApp();
  }, 60_000);
  afterAll(async () => h?.close());

  it('is bounced with Status 5.4.7 and a Diagnostic-Code that is not a made-up SMTP reply', async () => {
    await h.tenantSink.down();
    const event = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['gone@tenant.test'], raw: rawMessage('expire-1@sender.test') });
    await h.publishReceived(event);
    const dsn = await h.internetSink.waitFor((m) => m.envelope.rcptTo.includes('alice@sender.test') && m.raw.includes('expire-1@sender.test'), 20_000);
    const text = dsn.raw.toString('latin1');
    expect(text).toContain('Final-Recipient: rfc822;gone@tenant.test');
    expect(text).toContain('Action: failed');
    expect(text).toContain('Status: 5.4.7');
    expect(text).toMatch(/Diagnostic-Code: X-Torii; /);
    expect(text).not.toMatch(/Diagnostic-Code: smtp;/);
    expect(text).not.toMatch(/127\.0\.0\.1:\d+/);
    await eventually(async () => {
      const row = (await h.app!.get(DeliveryRepository).findMessage(event.messageId))?.recipients[0];
      return row?.state === 'bounced' && row.reason === 'expired';
    }, 10_000, 'bounced as expired');
  });
});
