import { Direction } from '@torii/contracts';
import pg from 'pg';
import { eventually, rawMessage, startHarness, type Harness } from './support/harness';

/**
 * A send that outlasts the lease (DELIVERY_LEASE 2 s, DATA answered after 5 s) is not claimed and sent
 * again: the worker renews the lease while it delivers and never re-claims a message it is running. And a
 * worker whose claim was taken over sends no further destination of it (review low a, session 7).
 */
describe('delivery lease', () => {
  let h: Harness;
  let client: pg.Client;
  beforeAll(async () => {
    h = await startHarness({ DELIVERY_LEASE: '2s', SMTP_SOCKET_TIMEOUT: '30s' });
    await h.putDomain('tenant.test');
    await h.startApp();
    client = new pg.Client({ connectionString: h.db.url });
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await h?.close();
  });

  it('delivers exactly once, with one delivered event', async () => {
    h.tenantSink.delayData(5_000);
    const event = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['slow@tenant.test'], raw: rawMessage('slow-1@sender.test') });
    await h.publishReceived(event);
    await eventually(async () => {
      const { rows } = await client.query<{ state: string }>(`SELECT state FROM delivery.recipient WHERE message_id = $1`, [event.messageId]);
      return rows[0]?.state === 'delivered';
    }, 30_000, 'delivered');
    // Long enough for a second claim's send (another 5 s of DATA) to have arrived, had there been one.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(h.tenantSink.messages.filter((m) => m.messageId === 'slow-1@sender.test')).toHaveLength(1);

    const { rows: recipients } = await client.query<{ state: string; attempts: number; claim_token: string | null }>(
      `SELECT state, attempts, claim_token FROM delivery.recipient WHERE message_id = $1`,
      [event.messageId],
    );
    expect(recipients).toEqual([{ state: 'delivered', attempts: 1, claim_token: null }]);
    const { rows: delivered } = await client.query<{ msg_id: string }>(
      `SELECT msg_id FROM delivery.outbox WHERE msg_id LIKE $1`,
      [`${event.messageId}:%:delivered:%`],
    );
    expect(delivered).toHaveLength(1);
    const { rows: attempts } = await client.query(`SELECT id FROM delivery.attempt WHERE message_id = $1`, [event.messageId]);
    expect(attempts).toHaveLength(1);
  }, 60_000);

  it('stops sending further destinations of a claim another worker took over', async () => {
    h.tenantSink.delayData(0);
    h.dns['one.test'] = { MX: [{ exchange: 'mx.one.test', priority: 10 }] };
    h.dns['two.test'] = { MX: [{ exchange: 'mx.two.test', priority: 10 }] };
    h.dns['mx.one.test'] = { A: ['127.0.0.1'] };
    h.dns['mx.two.test'] = { A: ['127.0.0.1'] };
    h.internetSink.delayData(3_000);
    const event = await h.storeMessage({
      domain: 'tenant.test',
      direction: Direction.OUTBOUND,
      from: 'bob@tenant.test',
      to: ['x@one.test', 'y@two.test'],
      raw: rawMessage('taken-over@tenant.test'),
    });
    await h.publishReceived(event);
    // The first destination's transaction is under way (DATA answered after 3 s)...
    const [first] = await eventually(async () => {
      const { rows } = await client.query<{ recipients: string[] }>(`SELECT recipients FROM delivery.attempt WHERE message_id = $1`, [event.messageId]);
      return rows.length > 0 && rows;
    }, 15_000, 'first attempt');
    // ...when another worker takes the claim over (as after a lease this pod failed to renew).
    const { rowCount } = await client.query(
      `UPDATE delivery.recipient SET claim_token = 'another-worker', lease_until = now() + interval '1 minute'
        WHERE message_id = $1 AND state = 'delivering'`,
      [event.messageId],
    );
    expect(rowCount).toBe(2);
    await h.internetSink.waitFor((m) => m.messageId === 'taken-over@tenant.test', 10_000);
    h.internetSink.delayData(0);
    // Time enough for the second destination's transaction, had this worker gone on.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(h.internetSink.messages.filter((m) => m.messageId === 'taken-over@tenant.test').map((m) => m.envelope.rcptTo)).toEqual([first.recipients]);
    const { rows: attempts } = await client.query(`SELECT id FROM delivery.attempt WHERE message_id = $1`, [event.messageId]);
    expect(attempts).toHaveLength(1);
    // The first destination's outcome is the new claimant's to write: both recipients are still its.
    const { rows: recipients } = await client.query<{ state: string; claim_token: string }>(
      `SELECT state, claim_token FROM delivery.recipient WHERE message_id = $1 ORDER BY address`,
      [event.messageId],
    );
    expect(recipients).toEqual([
      { state: 'delivering', claim_token: 'another-worker' },
      { state: 'delivering', claim_token: 'another-worker' },
    ]);
  }, 60_000);
});
