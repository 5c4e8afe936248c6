// The secondary mail server end to end: edge → delivery (DEFERRAL_MODE=spool) → spool → delivery, with the
// spool's schedule shortened through the env: "30 minutes" = 1 hour (recovery comes from the probe, not a
// retry), "4 hours" = 3 s, "7 days" = 20 s; the probe of a down server runs every second;
// two spool replicas share the database.
import { sendMail, smtpDialog, type SinkMessage } from '@torii/testing';
import { ADMIN, OPERATOR, eventually, startStack, type SeedDomain, type Stack } from './support/stack';
import { freePort } from './support/services';

const DELAY_NOTICE_MS = 3_000;
const GIVE_UP_MS = 20_000;
/** SEC3 scaled down: the first message out within this long of the server answering again. */
const RECOVERY_BOUND_MS = 15_000;
const CAPACITY_BYTES = 20_000;

const queuedId = (response: string): string => {
  const match = /queued as ([0-9A-Z]{26})/.exec(response);
  if (!match) throw new Error(`not a queued reply: ${response}`);
  return match[1];
};

function message(id: string, from: string, to: string, body = 'Hello from outside.\r\n'): string {
  return (
    `From: <${from}>\r\nTo: <${to}>\r\nSubject: e2e ${id}\r\nMessage-ID: <${id}@sender.test>\r\n` +
    `Date: Sun, 1 Jun 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n${body}`
  );
}

/** A DSN (null sender) to `address` whose per-recipient part says `action`. */
const dsnTo = (address: string, action: 'delayed' | 'failed') => (m: SinkMessage) =>
  m.envelope.mailFrom === '' &&
  m.envelope.rcptTo.includes(address) &&
  new RegExp(`^Action: ${action}`, 'mi').test(m.raw.toString());

const metrics = async (url: string): Promise<string> => (await fetch(`${url}/metrics`)).text();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface DomainSpool {
  domain: string;
  messages: number;
  bytes: number;
  oldest: string | null;
  nextAttemptAt: string | null;
  lastError: string;
}

// Each file boots the whole stack; the root config's 60 s is tight for that on a loaded CI machine.
jest.setTimeout(150_000);

describe('spool: deferred mail kept, DSNs on schedule, drained on recovery, capacity at the edge', () => {
  let stack: Stack;
  let token: string;
  let tenantId: string;
  /** When the message to the dead backup.test server was accepted (its "7 days" run from about then). */
  let backupSentAt: number;

  const spoolOf = (domain: string) =>
    stack.api<DomainSpool>(stack.spool!, 'GET', `/v1/tenants/${tenantId}/domains/${domain}/spool`, { token });
  /** One transaction by hand; RCPT may carry DSN parameters. Returns every reply (greeting first). */
  const dialog = (from: string, rcpt: string, data?: string) =>
    smtpDialog('127.0.0.1', stack.inboundPort, [
      'EHLO client.sender.test',
      `MAIL FROM:<${from}>`,
      `RCPT TO:${rcpt}`,
      ...(data === undefined ? [] : ['DATA', `${data}.`]),
      'QUIT',
    ]);

  beforeAll(async () => {
    // backup.test's server never answers: nothing listens on that address and port.
    const deadPort = await freePort();
    const domains: SeedDomain[] = [
      { name: 'acme.test', services: ['secondary'], addresses: ['alice', 'bob', 'carol', 'dave'] },
      {
        name: 'backup.test',
        services: ['secondary'],
        addresses: ['erin'],
        server: { hostname: 'mail.backup.test', ips: ['127.0.0.3'], port: deadPort },
      },
      // A domain whose server is up: unaffected by a full spool.
      {
        name: 'other.test',
        services: ['secondary'],
        addresses: ['frank'],
        server: { hostname: 'mx.remote.test', ips: ['127.0.0.1'], port: 1 },
      },
    ];
    stack = await startStack({
      domains,
      spool: true,
      // Two replicas on one database: a due message is retried by exactly one of them.
      spoolReplicas: 2,
      spoolEnv: {
        SEC_RETRY_INTERVAL: '1h',
        SEC_DELAY_NOTICE_AFTER: `${DELAY_NOTICE_MS}ms`,
        SEC_GIVE_UP_AFTER: `${GIVE_UP_MS}ms`,
        SPOOL_CAPACITY_BYTES: String(CAPACITY_BYTES),
        // One message of a domain in flight at a time, so "in order of arrival" is visible at the sink.
        DRAIN_CONCURRENCY: '1',
      },
    });
    token = await stack.login(ADMIN.email, ADMIN.password);
    ({ tenantId } = await stack.api<{ tenantId: string }>(stack.tenant, 'GET', '/v1/me', { token }));
    // Sent first so its "7 days" run while the other tests do.
    const sent = await sendMail({
      port: stack.inboundPort,
      from: 'expiry@sender.test',
      to: ['erin@backup.test'],
      raw: message('expiry', 'expiry@sender.test', 'erin@backup.test'),
    });
    queuedId(sent.response);
    backupSentAt = Date.now();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('spools while the server is down, sends a delay DSN after "4 hours" (none for NOTIFY=NEVER), drains on recovery in order', async () => {
    await stack.tenantSink.down();
    let upAt = 0;
    try {
      const sentAt = Date.now();
      const first = await dialog(
        'first@sender.test',
        '<alice@acme.test>',
        message('spool-1', 'first@sender.test', 'alice@acme.test'),
      );
      expect(first[5].raw).toMatch(/^250 /);
      const never = await dialog(
        'never@sender.test',
        '<bob@acme.test> NOTIFY=NEVER',
        message('spool-2', 'never@sender.test', 'bob@acme.test'),
      );
      expect(never[3].code).toBe(250);
      expect(never[5].raw).toMatch(/^250 /);

      const spooled = await eventually(
        async () => {
          const s = await spoolOf('acme.test');
          return s.messages === 2 && s;
        },
        20_000,
        'two messages in the spool',
      );
      expect(spooled.bytes).toBeGreaterThan(0);
      expect(spooled.oldest).not.toBeNull();
      expect(spooled.lastError).not.toBe('');
      // Delivery's status says the spool retries it, not delivery's safety-net park days away.
      const status = await stack.api<{ recipients: { address: string; state: string; nextAttemptAt: string | null; retriedBy: string | null }[] }>(
        stack.delivery,
        'GET',
        `/v1/tenants/${tenantId}/messages/${queuedId(first[5].raw)}`,
        { token },
      );
      expect(status.recipients).toEqual([
        expect.objectContaining({ address: 'alice@acme.test', state: 'deferred', nextAttemptAt: null, retriedBy: 'spool' }),
      ]);

      const delay = await stack.internetSink.waitFor(dsnTo('first@sender.test', 'delayed'), 30_000);
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(DELAY_NOTICE_MS);
      const text = delay.raw.toString();
      expect(text).toMatch(/report-type="?delivery-status/);
      expect(text).toMatch(/Final-Recipient: rfc822; ?alice@acme\.test/);
      expect(text).toMatch(/^Auto-Submitted: auto-replied/m);
      // NOTIFY=NEVER: the second message's sender hears nothing (its notice would be due by now too).
      await sleep(1_500);
      expect(stack.internetSink.messages.some((m) => m.envelope.rcptTo.includes('never@sender.test'))).toBe(
        false,
      );
      expect(stack.tenantSink.messages.some((m) => /^spool-/.test(m.messageId ?? ''))).toBe(false);
    } finally {
      await stack.tenantSink.up();
      upAt = Date.now();
    }

    const [one, two] = await Promise.all([
      stack.tenantSink.waitFor((m) => m.messageId === 'spool-1@sender.test', 30_000),
      stack.tenantSink.waitFor((m) => m.messageId === 'spool-2@sender.test', 30_000),
    ]);
    expect(one.receivedAt.getTime() - upAt).toBeLessThan(RECOVERY_BOUND_MS);
    // In order of arrival, each once.
    expect(one.seq).toBeLessThan(two.seq);
    expect(stack.tenantSink.messages.filter((m) => /^spool-/.test(m.messageId ?? ''))).toHaveLength(2);
    await eventually(async () => (await spoolOf('acme.test')).messages === 0, 20_000, 'spool emptied');
    // No late duplicate from the other replica.
    await sleep(1_000);
    expect(stack.tenantSink.messages.filter((m) => /^spool-/.test(m.messageId ?? ''))).toHaveLength(2);
    expect(stack.internetSink.messages.some((m) => m.envelope.rcptTo.includes('never@sender.test'))).toBe(
      false,
    );
  });

  it('answers 404 for a domain that is not the tenant\'s, and an empty spool for its own', async () => {
    await stack.api(stack.spool!, 'GET', `/v1/tenants/${tenantId}/domains/nobodys.example/spool`, { token, expect: 404 });
    await stack.api(stack.spool!, 'POST', `/v1/tenants/${tenantId}/domains/nobodys.example/spool/flush`, { token, expect: 404 });
    await stack.api(stack.spool!, 'GET', `/v1/tenants/${tenantId}/domains/not..a..domain/spool`, { token, expect: 404 });
    const own = await spoolOf('acme.test');
    expect(own).toMatchObject({ domain: 'acme.test' });
  });

  it('gives up after "7 days": failure DSN to the sender, message removed from the spool', async () => {
    const dsn = await stack.internetSink.waitFor(dsnTo('expiry@sender.test', 'failed'), GIVE_UP_MS + 30_000);
    expect(Date.now() - backupSentAt).toBeGreaterThanOrEqual(GIVE_UP_MS - 1_000);
    expect(dsn.raw.toString()).toMatch(/Final-Recipient: rfc822; ?erin@backup\.test/);
    await eventually(async () => (await spoolOf('backup.test')).messages === 0, 20_000, 'expired removed');
  });

  it('answers 452 4.3.1 at RCPT for a down domain while the spool is full, and still delivers what it accepted', async () => {
    await stack.tenantSink.down();
    try {
      // Accepted while there is room; spooled even though it takes the spool over its limit.
      const big = await dialog(
        'big@sender.test',
        '<carol@acme.test>',
        message('spool-big', 'big@sender.test', 'carol@acme.test', `${'x'.repeat(76)}\r\n`.repeat(400)),
      );
      expect(big[5].raw).toMatch(/^250 /);
      await eventually(async () => (await spoolOf('acme.test')).bytes > CAPACITY_BYTES, 20_000, 'spool full');

      const refused = await eventually(
        async () => {
          const replies = await dialog('late@sender.test', '<dave@acme.test>');
          return replies[3].code === 452 && replies[3];
        },
        20_000,
        '452 at RCPT',
      );
      expect(refused.raw).toMatch(/^452 4\.3\.1 /);
      // A domain whose server is up is not affected.
      const other = await dialog('late@sender.test', '<frank@other.test>');
      expect(other[3].code).toBe(250);

      // The operator sees it, and the alert metric fires (SEC4).
      const operator = await stack.login(OPERATOR.email, OPERATOR.password);
      const overview = await stack.api<{ full: boolean; limitBytes: number; bytes: number }>(
        stack.spool!,
        'GET',
        '/v1/spool',
        { token: operator },
      );
      expect(overview).toMatchObject({ full: true, limitBytes: CAPACITY_BYTES });
      // Each replica refreshes its gauge every STATE_INTERVAL; the alert is max() over them (docs/operations/spool.md).
      await eventually(
        async () => {
          const texts = await Promise.all(stack.spoolReplicas.map((r) => metrics(r.url)));
          return texts.some((t) => /^torii_spool_capacity_exceeded(\{[^}]*\})? 1$/m.test(t));
        },
        10_000,
        'torii_spool_capacity_exceeded 1',
      );
      expect(await metrics(stack.edge.url)).toMatch(
        /^torii_edge_refused_total\{[^}]*reason="spool-full"[^}]*\} [1-9]/m,
      );
    } finally {
      await stack.tenantSink.up();
    }
    await stack.tenantSink.waitFor((m) => m.messageId === 'spool-big@sender.test', 30_000);
    await eventually(
      async () => (await dialog('late@sender.test', '<dave@acme.test>'))[3].code === 250,
      20_000,
      'RCPT accepted again',
    );
  });
});
