// A spooled message whose stored object is gone (storage loss, an operator's lifecycle rule) must not stop
// the spool: at its delay-notice time the worker used to throw ObjectNotFoundError, rolling back every due
// notice and skipping the retries, the probe and the capacity state, on every poll until its give-up time.
// Real NATS, Postgres, s3rver and SMTP sinks; delivery is the double from support/. "4 hours" = 2 s here.
import { NotifyCondition } from '@torii/contracts';
import { startSmtpSink, uniqueName, type SmtpSink } from '@torii/testing';
import { Client } from 'pg';
import { SpoolRepository, type DeferredFacts } from '../src/spool/spool.repository';
import { startSpoolBed, waitUntil, type SpoolBed } from './support/spool-bed';

jest.setTimeout(60_000);

let bed: SpoolBed;
let sinkA: SmtpSink;
let sinkB: SmtpSink;

beforeAll(async () => {
  [sinkA, sinkB] = await Promise.all([startSmtpSink(), startSmtpSink()]);
  await Promise.all([sinkA.down(), sinkB.down()]);
  bed = await startSpoolBed({
    name: 'spool-lost',
    env: {
      SEC_RETRY_INTERVAL: '1s',
      SEC_DELAY_NOTICE_AFTER: '2s',
      SEC_GIVE_UP_AFTER: '10m',
      DEFAULT_RETRY_INTERVAL: '1s',
      DEFAULT_DELAY_NOTICE_AFTER: '2s',
      DEFAULT_GIVE_UP_AFTER: '10m',
    },
  });
});

afterAll(async () => {
  await bed?.close();
  await Promise.all([sinkA?.close(), sinkB?.close()]);
});

const putDomain = (domain: string, sink: SmtpSink) => bed.putDomain(domain, sink);

/** A deferred recipient as delivery hands it over, for the tests that drive the repository themselves. */
function deferred(messageId: string, domain: string, now: Date, direction: DeferredFacts['direction'] = 'outbound'): DeferredFacts {
  return {
    messageId,
    tenantId: 'tenant1',
    domain,
    direction,
    bucket: bed.store.bucket,
    objectKey: `mail/tenant1/${now.toISOString().slice(0, 10).replaceAll('-', '/')}/${messageId}.eml`,
    size: 10n,
    mailFrom: 'alice@sender.test',
    ret: 'unspecified',
    envid: '',
    receivedAt: now,
    firstFailedAt: now,
    recipient: { address: `bob@${domain}`, notify: [], orcpt: '' },
    reply: { status: '4.4.1', diagnostic: 'connect: ECONNREFUSED', host: '' },
  };
}

async function row(id: string): Promise<{ object_key: string; delay_notice_at: Date; delay_notice_sent: boolean } | undefined> {
  const result = await bed.pg.query(`SELECT object_key, delay_notice_at, delay_notice_sent FROM ${bed.db.schema}.spooled_message WHERE id = $1`, [id]);
  return result.rows[0];
}

const domainName = (prefix: string) => `${uniqueName(prefix).replaceAll('_', '-')}.test`;

it("a message whose object is gone gets its delay DSN without headers and does not stop another domain's drain", async () => {
  const a = domainName('lost');
  const b = domainName('other');
  await putDomain(a, sinkA);
  await putDomain(b, sinkB);
  const lost = await bed.double.handOff({ domain: a, from: 'alice@sender.test', to: `bob@${a}`, notify: [] });
  const kept = await bed.double.handOff({ domain: a, from: 'erin@sender.test', to: `frank@${a}`, notify: [NotifyCondition.DELAY] });
  const waiting = await bed.double.handOff({ domain: b, from: 'carol@sender.test', to: `dave@${b}`, notify: [NotifyCondition.NEVER] });
  const stored = await waitUntil('spooled', () => row(lost));
  await waitUntil('all spooled', async () => ((await row(kept)) && (await row(waiting))) || undefined);
  await bed.store.delete(stored.object_key);

  // Past the lost message's notice time, the other domain's server comes back: its mail drains as usual.
  await waitUntil('notice time', () => Date.now() > stored.delay_notice_at.getTime() + 1_000 || undefined);
  const retriedBefore = bed.double.retries(lost);
  await sinkB.up();
  const [arrived] = await sinkB.waitFor(1, 8_000);
  expect(arrived.envelope.rcptTo).toEqual([`dave@${b}`]);
  await waitUntil('drained', async () => (await row(waiting)) === undefined || undefined);

  // The lost message's sender is warned all the same, without the original's headers; the other notice
  // (object present) returns them.
  const dsn = await waitUntil('delay DSN', () => bed.double.submissions.find((s) => s.relatedMessageId === lost));
  expect(dsn.purpose).toBe('dsn-delay');
  expect(dsn.envelope?.rcptTo[0].address).toBe('alice@sender.test');
  const raw = await bed.double.read(dsn.objectKey);
  expect(raw).toContain('Action: delayed');
  expect(raw).toContain(`Final-Recipient: rfc822;bob@${a}`);
  expect(raw).toContain('Content-Type: text/rfc822-headers');
  expect(raw).not.toContain(`Subject: spooled ${lost}`);
  expect((await row(lost))?.delay_notice_sent).toBe(true);
  const other = await waitUntil('other delay DSN', () => bed.double.submissions.find((s) => s.relatedMessageId === kept));
  expect(await bed.double.read(other.objectKey)).toContain(`Subject: spooled ${kept}`);
  expect(bed.double.submissions.filter((s) => s.relatedMessageId === lost)).toHaveLength(1);

  // And the lost message itself is still retried (delivery decides what becomes of it).
  await waitUntil('lost message retried', () => bed.double.retries(lost) > retriedBefore || undefined);
});

it('one delay notice that fails leaves the others sent, and is tried again later instead of at every poll', async () => {
  const repository = bed.apps[0].get(SpoolRepository);
  // Far in the future, so the running worker never sees these rows: this test drives the repository itself.
  const now = new Date('2100-01-01T00:00:00Z');
  const domain = domainName('notice');
  const ids = [0, 1, 2].map((i) => `01NOTICE${i}`.padEnd(26, '0')); // the first one fails
  for (const [i, id] of ids.entries()) {
    const facts = deferred(id, domain, now);
    const due = new Date(now.getTime() - 10 + i); // all due, the bad one first
    await repository.acceptDeferred(facts, { nextAttemptAt: new Date('2101-01-01'), delayNoticeAt: due, giveUpAt: new Date('2101-01-01'), retryIntervalMs: 60_000 }, now);
  }

  const notified: string[] = [];
  const notify = async (message: { id: string }) => {
    if (message.id === ids[0]) throw new Error('object store unavailable');
    notified.push(message.id);
  };
  const failed: string[] = [];
  const onFailure = (id: string) => void failed.push(id);
  await repository.delayNoticesDue(now, 20, notify, onFailure);
  expect(notified).toEqual([ids[1], ids[2]]);
  expect(failed).toEqual([ids[0]]);
  expect((await row(ids[1]))?.delay_notice_sent).toBe(true);
  expect((await row(ids[2]))?.delay_notice_sent).toBe(true);
  const bad = await row(ids[0]);
  expect(bad?.delay_notice_sent).toBe(false);
  expect(bad!.delay_notice_at.getTime()).toBeGreaterThan(now.getTime());

  // Not at the next poll, but once its notice time (pushed back) has come, it is tried again.
  notified.length = 0;
  await repository.delayNoticesDue(new Date(now.getTime() + 1_000), 20, notify, onFailure);
  expect(notified).toEqual([]);
  await repository.delayNoticesDue(new Date(bad!.delay_notice_at.getTime() + 1), 20, async (message) => void notified.push(message.id), onFailure);
  expect(notified).toEqual([ids[0]]);
  expect(failed).toEqual([ids[0]]);
  expect((await row(ids[0]))?.delay_notice_sent).toBe(true);
});

it('a deferral that arrives after its recipient was delivered (the bus reordered them) does not spool it again', async () => {
  const repository = bed.apps[0].get(SpoolRepository);
  const now = new Date('2100-02-01T00:00:00Z'); // far ahead: the running worker never sees these rows
  const domain = domainName('stale');
  const facts = (messageId: string) => deferred(messageId, domain, now, 'inbound');
  const times = { nextAttemptAt: new Date('2101-01-01'), delayNoticeAt: new Date('2101-01-01'), giveUpAt: new Date('2101-01-01'), retryIntervalMs: 60_000 };
  const [stale, fresh] = ['01STALE', '01FRESH'].map((p) => p.padEnd(26, '0'));
  // Delivered on its second attempt, and only then the first attempt's deferral is handled: ignored.
  await repository.resolveRecipient(stale, `bob@${domain}`, 2, now);
  expect(await repository.acceptDeferred(facts(stale), times, now)).toBe(false);
  expect(await row(stale)).toBeUndefined();
  // A first attempt's outcome leaves nothing behind (no deferral came before it): the common case writes nothing.
  await repository.resolveRecipient(fresh, `bob@${domain}`, 1, now);
  expect(await repository.acceptDeferred(facts(fresh), times, now)).toBe(true);
  expect(await row(fresh)).toBeDefined();
  // Outcomes are forgotten once no stale deferral can come any more.
  expect(await repository.pruneResolved(new Date(now.getTime() + 3 * 86_400_000))).toBeGreaterThanOrEqual(1);
  expect(await repository.acceptDeferred(facts(stale), times, now)).toBe(true);
});

it('counts only the notices it handled: rows another replica holds do not make the worker poll again at once', async () => {
  const repository = bed.apps[0].get(SpoolRepository);
  const now = new Date('2100-03-01T00:00:00Z'); // far ahead: the running worker never sees this row
  const domain = domainName('held');
  const id = '01HELD'.padEnd(26, '0');
  await repository.acceptDeferred(
    deferred(id, domain, now),
    { nextAttemptAt: new Date('2101-01-01'), delayNoticeAt: new Date(now.getTime() - 1), giveUpAt: new Date('2101-01-01'), retryIntervalMs: 60_000 },
    now,
  );
  // "Another replica" holds the row's lock.
  const other = new Client({ connectionString: bed.db.url });
  await other.connect();
  await other.query('BEGIN');
  await other.query(`SELECT id FROM ${bed.db.schema}.spooled_message WHERE id = $1 FOR UPDATE`, [id]);
  const notified: string[] = [];
  try {
    expect(await repository.delayNoticesDue(now, 20, async (m) => void notified.push(m.id), () => undefined)).toBe(0);
    expect(notified).toEqual([]);
  } finally {
    await other.query('ROLLBACK');
    await other.end();
  }
  expect(await repository.delayNoticesDue(now, 20, async (m) => void notified.push(m.id), () => undefined)).toBe(1);
  expect(notified).toEqual([id]);
});
