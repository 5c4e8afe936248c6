import pg from 'pg';
import { eventually, rawMessage, startHarness, type Harness } from './support/harness';

/**
 * A send that outlasts the lease (DELIVERY_LEASE 2 s, DATA answered after 5 s) is not claimed and sent
 * again: the worker renews the lease while it delivers and never re-claims a message it is running.
 */
describe('delivery lease outlasted by a slow send', () => {
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
});
