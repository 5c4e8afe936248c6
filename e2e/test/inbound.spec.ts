import { sendMail, smtpDialog } from '@torii/testing';
import { ADMIN, GATEWAY, eventually, startStack, type Stack } from './support/stack';

/** The body part of a message: everything after the first empty line. */
const bodyOf = (raw: Buffer): Buffer => raw.subarray(raw.indexOf('\r\n\r\n') + 4);
const headersOf = (raw: Buffer): string => raw.subarray(0, raw.indexOf('\r\n\r\n') + 2).toString('latin1');
const queuedId = (response: string): string => {
  const match = /queued as ([0-9A-Z]{26})/.exec(response);
  if (!match) throw new Error(`not a queued reply: ${response}`);
  return match[1];
};

function message(id: string, to: string, extraHeaders = '', body = 'Hello from outside.\r\n'): Buffer {
  return Buffer.from(
    `From: <someone@sender.test>\r\nTo: <${to}>\r\nSubject: e2e ${id}\r\nMessage-ID: <${id}@sender.test>\r\n` +
      `Date: Sun, 1 Jun 2025 10:00:00 +0000\r\n${extraHeaders}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
  );
}

interface RecipientStatus {
  address: string;
  state: string;
  nextAttemptAt: string | null;
  retriedBy: 'delivery' | 'spool' | null;
  lastReply: { code: number; enhanced: string; text: string } | null;
}

// Each file boots the whole stack; the root config's 60 s is tight for that on a loaded CI machine.
jest.setTimeout(150_000);

describe('inbound mail through edge → S3 → JetStream → delivery → tenant server', () => {
  let stack: Stack;
  let token: string;
  let tenantId: string;

  const status = (messageId: string) =>
    stack.api<{ recipients: RecipientStatus[] }>(
      stack.delivery,
      'GET',
      `/v1/tenants/${tenantId}/messages/${messageId}`,
      { token },
    );
  const send = (id: string, to: string, raw?: Buffer) =>
    sendMail({ port: stack.inboundPort, from: 'someone@sender.test', to: [to], raw: raw ?? message(id, to) });

  beforeAll(async () => {
    stack = await startStack();
    token = await stack.login(ADMIN.email, ADMIN.password);
    ({ tenantId } = await stack.api<{ tenantId: string }>(stack.tenant, 'GET', '/v1/me', { token }));
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('delivers to the tenant server: body byte-identical, Received and Authentication-Results added, forged A-R removed', async () => {
    const body =
      'Line one.\r\n.leading dot survives\r\n\tindented line\r\n' +
      `${'é'.repeat(40)}\r\n` +
      'x'.repeat(990) +
      '\r\n';
    const raw = message(
      'inbound-1',
      'alice@acme.test',
      `Authentication-Results: ${GATEWAY}; spf=pass smtp.mailfrom=forged.test\r\n` +
        'Authentication-Results: other.example; dkim=pass header.d=sender.test\r\n',
      body,
    );
    const result = await send('inbound-1', 'alice@acme.test', raw);
    expect(result.response).toMatch(/^250 2\.0\.0 Ok queued as /);

    const got = await stack.tenantSink.waitFor((m) => m.messageId === 'inbound-1@sender.test', 30_000);
    expect(got.envelope).toEqual({ mailFrom: 'someone@sender.test', rcptTo: ['alice@acme.test'] });
    expect(bodyOf(got.raw).equals(bodyOf(raw))).toBe(true);
    const headers = headersOf(got.raw);
    expect(headers).toMatch(/^Received: from /m);
    expect(headers).toContain(`by ${GATEWAY}`);
    // Ours is added once; the incoming one that claims our authserv-id is gone; others stay.
    const ours =
      headers.match(new RegExp(`^Authentication-Results: ${GATEWAY.replaceAll('.', '\\.')};`, 'gm')) ?? [];
    expect(ours).toHaveLength(1);
    expect(headers).not.toContain('smtp.mailfrom=forged.test');
    expect(headers).toContain('Authentication-Results: other.example; dkim=pass header.d=sender.test');
    // SPAM3: the edge's SPF result as Received-SPF (RFC 7208 §9.1), on top, for the client the edge saw.
    const spf = /^Received-SPF: ([a-z]+) \(([^)]*)\)\s+([^\r]*(?:\r\n[ \t][^\r]*)*)/m.exec(headers);
    expect(spf?.[1]).toMatch(/^(pass|fail|softfail|neutral|none|temperror|permerror)$/);
    expect(spf?.[3]).toMatch(/client-ip=127\.0\.0\.1;/);
    expect(spf?.[3]).toMatch(/envelope-from="?someone@sender\.test"?;/);
    expect(headers.indexOf('Received-SPF:')).toBeLessThan(headers.indexOf('Received: from '));
    // Every original header is still there, in order.
    expect(headers).toContain(
      headersOf(raw).replace(/^Authentication-Results: mx\.torii\.test;[^\r]*\r\n/m, ''),
    );

    const delivered = await eventually(async () => {
      const s = await status(queuedId(result.response));
      return s.recipients.every((r) => r.state === 'delivered') && s;
    });
    expect(delivered.recipients.map((r) => r.address)).toEqual(['alice@acme.test']);
  });

  it('answers RCPT: unknown address of a spam-filtered domain 550 5.1.1, a foreign domain 550 5.7.1', async () => {
    const replies = await smtpDialog('127.0.0.1', stack.inboundPort, [
      'EHLO client.sender.test',
      'MAIL FROM:<someone@sender.test>',
      'RCPT TO:<alice@guarded.test>',
      'RCPT TO:<nobody@guarded.test>',
      'RCPT TO:<someone@elsewhere.test>',
      'QUIT',
    ]);
    expect(replies[3].code).toBe(250);
    expect(replies[4].raw).toMatch(/^550 5\.1\.1 /);
    expect(replies[5].raw).toMatch(/^550 5\.7\.1 /);
  });

  it('honours an address added through the tenant API within seconds', async () => {
    const rcpt = async () =>
      (
        await smtpDialog('127.0.0.1', stack.inboundPort, [
          'EHLO client.sender.test',
          'MAIL FROM:<someone@sender.test>',
          'RCPT TO:<carol@guarded.test>',
          'QUIT',
        ])
      )[3];
    expect((await rcpt()).code).toBe(550);
    await stack.api(stack.tenant, 'POST', `/v1/tenants/${tenantId}/domains/guarded.test/addresses`, {
      token,
      body: { address: 'carol' },
    });
    const started = Date.now();
    await eventually(async () => (await rcpt()).code === 250, 10_000, 'carol@guarded.test accepted');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('defers while the tenant server is down and delivers once it is up', async () => {
    await stack.tenantSink.down();
    let id: string;
    try {
      id = queuedId((await send('inbound-down', 'bob@acme.test')).response);
      const deferred = await eventually(
        async () => {
          const s = await status(id);
          return s.recipients[0]?.state === 'deferred' && s;
        },
        20_000,
        'deferred',
      );
      expect(deferred.recipients[0].address).toBe('bob@acme.test');
      // Delivery retries it itself (no spool here), at a time it shows.
      expect(deferred.recipients[0]).toMatchObject({ retriedBy: 'delivery', nextAttemptAt: expect.any(String) });
      expect(stack.tenantSink.messages.some((m) => m.messageId === 'inbound-down@sender.test')).toBe(false);
    } finally {
      await stack.tenantSink.up();
    }
    await stack.tenantSink.waitFor((m) => m.messageId === 'inbound-down@sender.test', 30_000);
    await eventually(
      async () => (await status(id)).recipients[0].state === 'delivered',
      10_000,
      'delivered state',
    );
  });

  it('sends a DSN to the Internet sender when the tenant server answers 550', async () => {
    stack.tenantSink.rejectRcpt('postmaster@acme.test', 550, '5.1.1 No such mailbox here');
    try {
      const id = queuedId((await send('inbound-550', 'postmaster@acme.test')).response);
      const dsn = await stack.internetSink.waitFor(
        (m) => m.envelope.mailFrom === '' && m.envelope.rcptTo.includes('someone@sender.test'),
        30_000,
      );
      const text = dsn.raw.toString('utf8');
      expect(text).toMatch(/Content-Type: multipart\/report;\s*report-type="?delivery-status/i);
      expect(text).toMatch(/Final-Recipient: rfc822; ?postmaster@acme\.test/);
      expect(text).toMatch(/Status: 5\.1\.1/);
      expect(text).toContain('No such mailbox here');
      const s = await status(id);
      expect(s.recipients[0].state).toBe('bounced');
    } finally {
      stack.tenantSink.reset();
    }
  });
});
