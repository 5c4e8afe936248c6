// The spool against real NATS (a private server), Postgres, s3rver and SMTP sinks. Delivery's part is
// played by a small double (test/support/delivery-bed.double.ts) that really sends over SMTP to the tenant's
// sink and reports outcomes on the stream as delivery does. Durations are shortened through the env:
// "30 minutes" = 1 s, "4 hours" = 2.5 s, "7 days" = 5 s.
import { Codecs, NotifyCondition, SPOOL_STATE_KEY } from '@torii/contracts';
import { KvStore } from '@torii/messaging';
import { startSmtpSink, uniqueName, type SmtpSink } from '@torii/testing';
import { startSpoolBed, waitUntil, type SpoolBed } from './support/spool-bed';

jest.setTimeout(60_000);

let bed: SpoolBed;
let downSink: SmtpSink;
let tenantSink: SmtpSink;

beforeAll(async () => {
  [downSink, tenantSink] = await Promise.all([startSmtpSink(), startSmtpSink()]);
  await downSink.down();
  bed = await startSpoolBed({
    name: 'spool',
    // Two replicas on one database: every due message must be retried by exactly one of them.
    replicas: 2,
    env: {
      SEC_RETRY_INTERVAL: '1s',
      SEC_DELAY_NOTICE_AFTER: '2500ms',
      SEC_GIVE_UP_AFTER: '5s',
      DEFAULT_RETRY_INTERVAL: '1h',
      DEFAULT_DELAY_NOTICE_AFTER: '1h',
      DEFAULT_GIVE_UP_AFTER: '2h',
      SPOOL_CAPACITY_BYTES: '100000',
    },
  });
});

afterAll(async () => {
  await bed?.close();
  await Promise.all([downSink?.close(), tenantSink?.close()]);
});

const putDomain = (domain: string, sink: SmtpSink, secondary: boolean) => bed.putDomain(domain, sink, secondary);

async function spooled(domain: string): Promise<{ messages: number; lastError: string }> {
  const result = await bed.pg.query<{ messages: number; last_error: string }>(
    `SELECT count(*)::int AS messages, coalesce(max(last_error),'') AS last_error FROM ${bed.db.schema}.spooled_message WHERE domain = $1`,
    [domain],
  );
  return { messages: result.rows[0].messages, lastError: result.rows[0].last_error };
}

it('spools a deferred message, sends the delay DSN after "4 hours" (not for NOTIFY=NEVER), expires it after "7 days"', async () => {
  const domain = `${uniqueName('sec').replaceAll('_', '-')}.test`;
  await putDomain(domain, downSink, true);
  const started = Date.now();
  const warned = await bed.double.handOff({ domain, from: 'alice@sender.test', to: `bob@${domain}`, notify: [] });
  const silent = await bed.double.handOff({ domain, from: 'carol@sender.test', to: `dave@${domain}`, notify: [NotifyCondition.NEVER] });
  await waitUntil('both spooled', async () => (await spooled(domain)).messages === 2 || undefined);
  expect((await spooled(domain)).lastError).toMatch(/^connect: /);

  const dsn = await waitUntil('delay DSN', () => bed.double.submissions.find((s) => s.relatedMessageId === warned));
  expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  expect(dsn.purpose).toBe('dsn-delay');
  expect(dsn.envelope?.mailFrom).toBe('');
  expect(dsn.envelope?.rcptTo[0].address).toBe('alice@sender.test');
  const raw = await bed.double.read(dsn.objectKey);
  expect(raw).toContain('Action: delayed');
  expect(raw).toContain('Auto-Submitted: auto-replied');
  expect(raw).toContain(`Final-Recipient: rfc822;bob@${domain}`);
  // No SMTP reply came (the server is down): said in words, not as an `smtp` reply (libs/dsn publicDiagnostic).
  expect(raw).toContain('Diagnostic-Code: X-Torii; the connection to the receiving server failed');

  // Retries every "30 minutes" meanwhile, each by one replica only.
  expect(bed.double.retries(warned)).toBeGreaterThanOrEqual(1);
  expect(bed.double.duplicateRetries()).toEqual([]);

  await waitUntil('expiry', () => (bed.double.expired.has(warned) && bed.double.expired.has(silent)) || undefined);
  expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
  await waitUntil('removal', async () => (await spooled(domain)).messages === 0 || undefined);
  expect(bed.double.submissions.filter((s) => s.relatedMessageId === silent)).toEqual([]);
});

it('drains a recovered domain in order of arrival, one at a time, each message once across two replicas', async () => {
  const domain = `${uniqueName('rec').replaceAll('_', '-')}.test`;
  await tenantSink.down();
  await putDomain(domain, tenantSink, false);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push(await bed.double.handOff({ domain, from: 'alice@sender.test', to: `u${i}@${domain}`, notify: [] }));
  await waitUntil('all spooled', async () => (await spooled(domain)).messages === 4 || undefined);
  await new Promise((resolve) => setTimeout(resolve, 800)); // a few probes find it down
  expect(tenantSink.messages).toHaveLength(0);

  const upAt = Date.now();
  await tenantSink.up();
  const arrived = await tenantSink.waitFor(4, 15_000);
  expect(arrived[0].receivedAt.getTime() - upAt).toBeLessThan(3_000); // the probe noticed it promptly
  expect(arrived.map((m) => m.envelope.rcptTo[0])).toEqual([0, 1, 2, 3].map((i) => `u${i}@${domain}`));
  expect(bed.double.maxConcurrent(domain)).toBe(1);
  await waitUntil('spool empty', async () => (await spooled(domain)).messages === 0 || undefined);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(tenantSink.messages).toHaveLength(4);
  expect(bed.double.duplicateRetries()).toEqual([]);
});

it('publishes the capacity state for the edge and keeps accepting hand-offs above the limit', async () => {
  const domain = `${uniqueName('full').replaceAll('_', '-')}.test`;
  await putDomain(domain, downSink, true);
  const state = await KvStore.open(bed.nc, bed.config.SPOOL_STATE_BUCKET, Codecs.spoolState, { create: true });
  const big = await bed.double.handOff({ domain, from: 'alice@sender.test', to: `bob@${domain}`, notify: [], declaredSize: 150_000n });
  const full = await waitUntil('full state', async () => {
    const entry = await state.get(SPOOL_STATE_KEY);
    return entry?.value.full && entry.value.downDomains.includes(domain) ? entry.value : undefined;
  });
  expect(full.limitBytes).toBe(100_000n);
  expect(full.spooledBytes).toBeGreaterThanOrEqual(150_000n);
  // Mail already accepted is never dropped for lack of room: it is spooled all the same.
  expect((await spooled(domain)).messages).toBe(1);
  expect(big).toBeTruthy();
});
