import { Direction, NotifyCondition } from '@torii/contracts';
import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { eventually, rawMessage, startHarness, type Harness } from './support/harness';

describe('inbound delivery', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.dns['sender.test'] = { MX: [{ exchange: 'mx.sender.test', priority: 10 }] };
    h.dns['mx.sender.test'] = { A: ['127.0.0.1'] };
    await h.putDomain('tenant.test');
    await h.startApp();
  }, 60_000);
  afterAll(async () => h?.close());
  afterEach(() => {
    h.tenantSink.reset();
  });

  it('delivers to the tenant server: body byte-identical, headers added, forged A-R removed', async () => {
    const body = 'Line one.\r\n.leading dot\r\n\r\nÜnïcode bytes \u00e9\r\n';
    const raw = rawMessage('inbound-1@sender.test', 'Authentication-Results: gw.torii.test; spf=pass (forged)\r\nAuthentication-Results: other.example; dkim=pass\r\n', body);
    const event = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['bob@tenant.test'], raw });
    await h.publishReceived(event);
    const got = await h.tenantSink.waitFor((m) => m.messageId === 'inbound-1@sender.test', 15_000);
    const text = got.raw.toString('latin1');
    const split = (b: Buffer) => b.subarray(b.indexOf('\r\n\r\n') + 4);
    expect(split(got.raw).equals(split(raw))).toBe(true);
    // Our Authentication-Results first (RFC 8601 §5), then Received-SPF (RFC 7208 §9.1) above the Received of
    // the hop it speaks of.
    expect(text.startsWith('Authentication-Results: gw.torii.test; spf=pass smtp.mailfrom=sender.test\r\nReceived-SPF: ')).toBe(true);
    const spf = text.match(/^Received-SPF: (.*(?:\r\n[ \t].*)*)\r\nReceived: /m)?.[1].replace(/\r\n/g, '');
    expect(spf).toBe(
      'pass (gw.torii.test: domain of alice@sender.test designates 192.0.2.7 as permitted sender) ' +
        'client-ip=192.0.2.7; envelope-from="alice@sender.test"; helo=mx.sender.test; receiver=gw.torii.test; identity=mailfrom;',
    );
    expect(text).toMatch(/\r\nReceived: from mx\.sender\.test \(mx\.sender\.test \[192\.0\.2\.7\]\)\r\n\tby edge\.torii\.test \(Torii\) with ESMTPS id /);
    expect(text).toContain('Authentication-Results: gw.torii.test; spf=pass smtp.mailfrom=sender.test');
    expect(text).not.toContain('(forged)');
    expect(text).toContain('Authentication-Results: other.example; dkim=pass');
    expect(got.secure).toBe(true); // STARTTLS offered by the sink, self-signed, used
    expect(got.envelope).toEqual({ mailFrom: 'alice@sender.test', rcptTo: ['bob@tenant.test'] });
  });

  it('waits out a database failure right after the tenant server accepted: delivered once, not again at the next lease', async () => {
    const repository = h.app!.get(DeliveryRepository);
    // One failed write of the outcome (a connection lost for a moment), then the database is back.
    const spy = jest.spyOn(repository, 'applyDeliveryOutcome').mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
    try {
      const event = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['dan@tenant.test'], raw: rawMessage('blip-1@sender.test') });
      await h.publishReceived(event);
      await h.tenantSink.waitFor((m) => m.messageId === 'blip-1@sender.test', 15_000);
      const status = await eventually(async () => {
        const res = await fetchStatus(h, event.messageId);
        return res?.recipients[0]?.state === 'delivered' ? res : undefined;
      });
      expect(status.recipients[0].state).toBe('delivered');
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(2);
      expect(h.tenantSink.messages.filter((m) => m.messageId === 'blip-1@sender.test')).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('defers while the tenant server is down and delivers once it is up', async () => {
    await h.tenantSink.down();
    const event = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['carol@tenant.test'], raw: rawMessage('down-1@sender.test') });
    await h.publishReceived(event);
    const db = await eventually(async () => {
      const res = await fetchStatus(h, event.messageId);
      return res?.recipients[0]?.state === 'deferred' ? res : undefined;
    }, 15_000, 'deferred');
    expect(db.recipients[0].lastCode).toBe(0);
    await h.tenantSink.up();
    await h.tenantSink.waitFor((m) => m.messageId === 'down-1@sender.test', 15_000);
    await eventually(async () => (await fetchStatus(h, event.messageId))?.recipients[0]?.state === 'delivered', 10_000, 'delivered');
  });

  it('answers 550 → bounced, and a DSN reaches the sender through mail.submit', async () => {
    h.tenantSink.rejectRcpt('nobody@tenant.test', 550, '5.1.1 User unknown');
    const event = await h.storeMessage({
      domain: 'tenant.test',
      from: 'alice@sender.test',
      to: ['nobody@tenant.test', 'dave@tenant.test'],
      raw: rawMessage('bounce-1@sender.test'),
      envid: 'ENV1',
    });
    await h.publishReceived(event);
    await h.tenantSink.waitFor((m) => m.messageId === 'bounce-1@sender.test', 15_000); // the partial success
    const dsn = await h.internetSink.waitFor((m) => m.envelope.rcptTo.includes('alice@sender.test') && m.raw.includes('bounce-1@sender.test'), 20_000);
    const text = dsn.raw.toString('latin1');
    expect(dsn.envelope.mailFrom).toBe('');
    expect(text).toContain('Content-Type: multipart/report; report-type=delivery-status');
    expect(text).toContain('Final-Recipient: rfc822;nobody@tenant.test');
    expect(text).toContain('Diagnostic-Code: smtp;550 5.1.1 User unknown');
    expect(text).toContain('Original-Envelope-Id: ENV1');
    expect(text).toContain('Auto-Submitted: auto-replied');
    expect(text).not.toContain('Final-Recipient: rfc822;dave@tenant.test');
    const status = await fetchStatus(h, event.messageId);
    expect(status?.recipients.map((r) => [r.address, r.state])).toEqual([
      ['nobody@tenant.test', 'bounced'],
      ['dave@tenant.test', 'delivered'],
    ]);
  });

  it('sends no DSN for NOTIFY=NEVER', async () => {
    h.tenantSink.rejectRcpt('never@tenant.test', 550, '5.1.1 User unknown');
    const event = await h.storeMessage({
      domain: 'tenant.test',
      from: 'alice@sender.test',
      to: [{ address: 'never@tenant.test', notify: [NotifyCondition.NEVER] }],
      raw: rawMessage('never-1@sender.test'),
    });
    await h.publishReceived(event);
    await eventually(async () => (await fetchStatus(h, event.messageId))?.recipients[0]?.state === 'bounced', 15_000, 'bounced');
    await eventually(async () => (await fetchStatus(h, event.messageId))?.recipients[0]?.dsnPending === false, 10_000, 'dsn settled');
    await new Promise((r) => setTimeout(r, 500));
    expect(h.internetSink.messages.some((m) => m.raw.includes('never-1@sender.test'))).toBe(false);
  });

  it('delivers outbound mail to the recipient MX, and bounces a null-MX domain with 5.1.10', async () => {
    h.dns['far.test'] = { MX: [{ exchange: 'mx.far.test', priority: 5 }] };
    h.dns['mx.far.test'] = { A: ['127.0.0.1'] };
    h.dns['nomail.test'] = { MX: [{ exchange: '.', priority: 0 }] };
    const ok = await h.storeMessage({ domain: 'tenant.test', direction: Direction.OUTBOUND, from: 'bob@tenant.test', to: ['x@far.test'], raw: rawMessage('out-1@tenant.test') });
    await h.publishReceived(ok);
    await h.internetSink.waitFor((m) => m.messageId === 'out-1@tenant.test', 15_000);
    const nullMx = await h.storeMessage({ domain: 'tenant.test', direction: Direction.OUTBOUND, from: 'bob@tenant.test', to: ['y@nomail.test'], raw: rawMessage('out-2@tenant.test') });
    await h.publishReceived(nullMx);
    // The DSN goes back inbound, to the tenant's server.
    const dsn = await h.tenantSink.waitFor((m) => m.envelope.rcptTo.includes('bob@tenant.test') && m.raw.includes('out-2@tenant.test'), 20_000);
    expect(dsn.raw.toString('latin1')).toContain('Status: 5.1.10');
    const attempts = (await fetchStatus(h, nullMx.messageId))?.attempts ?? [];
    expect(attempts).toHaveLength(0); // refused without connecting anywhere
  });
});

async function fetchStatus(h: Harness, id: string) {
  return h.app!.get(DeliveryRepository).findMessage(id);
}
