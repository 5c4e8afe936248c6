import { sendMail, smtpDialog } from '@torii/testing';
import { TENANT_SERVER_IP, startStack, type Stack } from './support/stack';

function message(id: string, from: string, to: string): string {
  return (
    `From: <${from}>\r\nTo: <${to}>\r\nSubject: e2e ${id}\r\nMessage-ID: <${id}@acme.test>\r\n` +
    `Date: Sun, 1 Jun 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello from acme.\r\n`
  );
}

/** One message through the relay port, from `localAddress`; returns every reply (greeting first). */
const relay = (stack: Stack, localAddress: string, from: string, to: string, id: string) =>
  smtpDialog(
    '127.0.0.1',
    stack.relayPort,
    [
      'EHLO mail.acme.test',
      `MAIL FROM:<${from}>`,
      `RCPT TO:<${to}>`,
      'DATA',
      `${message(id, from, to)}.`,
      'QUIT',
    ],
    { localAddress },
  );

// Each file boots the whole stack; the root config's 60 s is tight for that on a loaded CI machine.
jest.setTimeout(150_000);

describe('outbound relay from the tenant server, and a broker restart', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('relays a message from the registered server to the recipient MX', async () => {
    const replies = await relay(stack, TENANT_SERVER_IP, 'alice@acme.test', 'friend@remote.test', 'out-1');
    expect(replies[2].code).toBe(250);
    expect(replies[5].raw).toMatch(/^250 2\.0\.0 Ok queued as /);
    const got = await stack.internetSink.waitFor((m) => m.messageId === 'out-1@acme.test', 30_000);
    expect(got.envelope).toEqual({ mailFrom: 'alice@acme.test', rcptTo: ['friend@remote.test'] });
    expect(got.raw.toString()).toContain('Hello from acme.\r\n');
  });

  it('refuses relay from an unregistered IP and a foreign MAIL FROM with 550 5.7.1', async () => {
    const unregistered = await relay(
      stack,
      '127.0.0.1',
      'alice@acme.test',
      'friend@remote.test',
      'out-refused-1',
    );
    expect(unregistered[2].raw).toMatch(/^550 5\.7\.1 /);
    const foreign = await relay(
      stack,
      TENANT_SERVER_IP,
      'someone@elsewhere.test',
      'friend@remote.test',
      'out-refused-2',
    );
    expect(foreign[2].raw).toMatch(/^550 5\.7\.1 /);
    expect(stack.internetSink.messages.some((m) => /^out-refused/.test(m.messageId ?? ''))).toBe(false);
  });

  it('sends a DSN to the tenant sender when the recipient MX answers 550', async () => {
    stack.internetSink.rejectRcpt('gone@remote.test', 550, '5.1.1 Mailbox gone');
    try {
      const replies = await relay(stack, TENANT_SERVER_IP, 'bob@acme.test', 'gone@remote.test', 'out-550');
      expect(replies[5].code).toBe(250);
      // The DSN is mail for acme.test: it goes to acme's own server.
      const dsn = await stack.tenantSink.waitFor(
        (m) => m.envelope.mailFrom === '' && m.envelope.rcptTo.includes('bob@acme.test'),
        30_000,
      );
      const text = dsn.raw.toString();
      expect(text).toMatch(/report-type="?delivery-status/);
      expect(text).toMatch(/Final-Recipient: rfc822; ?gone@remote\.test/);
      expect(text).toContain('Mailbox gone');
    } finally {
      stack.internetSink.reset();
    }
  });

  it('delivers mail sent after a NATS restart (the services reconnect)', async () => {
    await stack.nats.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    await stack.nats.start();
    // The edge answers 451 until its publisher is back; a sending MTA would retry, so do we.
    const deadline = Date.now() + 30_000;
    let response = '';
    while (Date.now() < deadline) {
      response = await sendMail({
        port: stack.inboundPort,
        from: 'someone@sender.test',
        to: ['alice@acme.test'],
        raw: message('after-restart', 'someone@sender.test', 'alice@acme.test'),
      }).then(
        (r) => r.response,
        (error: { response?: string }) => error.response ?? String(error),
      );
      if (response.startsWith('250')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(response).toMatch(/^250 /);
    await stack.tenantSink.waitFor((m) => m.messageId === 'after-restart@acme.test', 30_000);
  });
});
