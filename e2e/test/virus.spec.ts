import { randomBytes } from 'node:crypto';
import { sendMail, smtpDialog, type SinkMessage } from '@torii/testing';
import { simpleParser } from 'mailparser';
import {
  ADMIN,
  TENANT_SERVER_IP,
  eventually,
  startStack,
  type SeedDomain,
  type Stack,
} from './support/stack';
import { storedZip } from './support/zip';

// The standard anti-virus test file (harmless; in the test signatures of tools/clamd/db).
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

const DOMAINS: SeedDomain[] = [
  { name: 'acme.test', services: ['virus'], addresses: ['alice', 'bob', 'carol', 'dave', 'erin'] },
  // Its virus_policy.unscannable is set to `hold` by a test.
  { name: 'held.test', services: ['virus'], addresses: ['grace'] },
];

const bodyOf = (raw: Buffer): Buffer => raw.subarray(raw.indexOf('\r\n\r\n') + 4);
const headersOf = (raw: Buffer): string => raw.subarray(0, raw.indexOf('\r\n\r\n') + 2).toString('latin1');
const queuedId = (response: string): string => {
  const match = /queued as ([0-9A-Z]{26})/.exec(response);
  if (!match) throw new Error(`not a queued reply: ${response}`);
  return match[1];
};
/** base64 in 76-character lines, as MIME writes it. */
const base64 = (data: Buffer): string => (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');

interface Attachment {
  filename: string;
  contentType: string;
  data: Buffer;
}

/** A multipart/mixed message: a text part, then the attachments (base64). */
function multipart(
  id: string,
  from: string,
  to: string,
  attachments: Attachment[],
  text = 'See attached.\r\n',
): Buffer {
  const boundary = `=_e2e_${id}`;
  const parts = [
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${text}`,
    ...attachments.map(
      (a) =>
        `--${boundary}\r\nContent-Type: ${a.contentType}; name="${a.filename}"\r\n` +
        `Content-Disposition: attachment; filename="${a.filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
        `${base64(a.data)}\r\n`,
    ),
  ];
  return Buffer.from(
    `From: <${from}>\r\nTo: <${to}>\r\nSubject: e2e ${id}\r\nMessage-ID: <${id}@e2e.test>\r\n` +
      `Date: Sun, 1 Jun 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\nThis is a MIME message.\r\n` +
      `${parts.join('')}--${boundary}--\r\n`,
  );
}

function plain(id: string, from: string, to: string, text: string): Buffer {
  return Buffer.from(
    `From: <${from}>\r\nTo: <${to}>\r\nSubject: e2e ${id}\r\nMessage-ID: <${id}@e2e.test>\r\n` +
      `Date: Sun, 1 Jun 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n${text}\r\n`,
  );
}

/** A warning of virus-scan about the message queued as `messageId` (its text names that id). */
const isWarningAbout = (messageId: string) => (m: SinkMessage) =>
  m.envelope.mailFrom === '' && /Virus found/.test(headersOf(m.raw)) && m.raw.toString().includes(messageId);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Each file boots the whole stack (and a clamd); the root config's 60 s is tight on a loaded CI machine.
jest.setTimeout(150_000);

describe('virus checking end to end (real clamd)', () => {
  let stack: Stack;

  const send = async (from: string, to: string, raw: Buffer) =>
    queuedId((await sendMail({ port: stack.inboundPort, from, to: [to], raw })).response);

  let token: string;
  let tenantId: string;
  const stateOf = async (messageId: string) =>
    (
      await stack.api<{ recipients: { state: string }[] }>(
        stack.delivery,
        'GET',
        `/v1/tenants/${tenantId}/messages/${messageId}`,
        { token },
      )
    ).recipients[0]?.state;

  beforeAll(async () => {
    stack = await startStack({ domains: DOMAINS, virusScan: true });
    token = await stack.login(ADMIN.email, ADMIN.password);
    ({ tenantId } = await stack.api<{ tenantId: string }>(stack.tenant, 'GET', '/v1/me', { token }));
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('passes a clean multipart message with its body byte-identical and a clean verdict header', async () => {
    const raw = multipart('clean-1', 'someone@sender.test', 'alice@acme.test', [
      { filename: 'data.bin', contentType: 'application/octet-stream', data: randomBytes(3000) },
      { filename: 'notes.txt', contentType: 'text/plain', data: Buffer.from('nothing to see\r\n') },
    ]);
    await send('someone@sender.test', 'alice@acme.test', raw);
    const got = await stack.tenantSink.waitFor((m) => m.messageId === 'clean-1@e2e.test', 30_000);
    expect(bodyOf(got.raw).equals(bodyOf(raw))).toBe(true);
    expect(headersOf(got.raw)).toMatch(/^X-Torii-Virus-Check: clean/m);
  });

  it('replaces an infected attachment by a text notice, keeps the other one byte for byte, warns admin and recipient', async () => {
    const report = randomBytes(4000);
    const raw = multipart('att-1', 'someone@sender.test', 'bob@acme.test', [
      { filename: 'eicar.com', contentType: 'application/octet-stream', data: Buffer.from(EICAR) },
      { filename: 'report.bin', contentType: 'application/octet-stream', data: report },
    ]);
    const id = await send('someone@sender.test', 'bob@acme.test', raw);
    const got = await stack.tenantSink.waitFor((m) => m.messageId === 'att-1@e2e.test', 30_000);

    expect(headersOf(got.raw)).toMatch(/^X-Torii-Virus-Check: infected, removed: eicar\.com/m);
    expect(got.raw.toString()).not.toContain(base64(Buffer.from(EICAR)));
    // The clean attachment's encoded lines are exactly those sent.
    expect(got.raw.toString()).toContain(base64(report));

    const parsed = await simpleParser(got.raw);
    expect(parsed.text).toContain('See attached.');
    const clean = parsed.attachments.find((a) => a.filename === 'report.bin');
    expect(clean?.content.equals(report)).toBe(true);
    // The notice is a text/plain part naming the file and the signature; no part carries the virus.
    const notice = [parsed.text ?? '', ...parsed.attachments.map((a) => a.content.toString())].find((t) =>
      /Eicar/.test(t),
    );
    expect(notice).toMatch(/eicar\.com/);
    for (const a of parsed.attachments) expect(a.content.toString()).not.toContain(EICAR);
    expect(parsed.attachments.some((a) => a.filename === 'eicar.com' && a.contentType !== 'text/plain')).toBe(
      false,
    );

    const warnings = await waitForRecipients(stack, id, ['admin@acme.test', 'bob@acme.test']);
    expect(warnings.join('\n')).toContain('eicar.com');
    expect(stack.internetSink.messages.filter(isWarningAbout(id))).toEqual([]);
  });

  it('removes a zip with an infected file inside whole; the other attachment stays', async () => {
    const notes = Buffer.from('Quarterly notes.\r\n');
    const raw = multipart('zip-1', 'someone@sender.test', 'erin@acme.test', [
      {
        filename: 'invoice.zip',
        contentType: 'application/zip',
        data: storedZip([
          { name: 'readme.txt', data: Buffer.from('harmless') },
          { name: 'eicar.com', data: Buffer.from(EICAR) },
        ]),
      },
      { filename: 'notes.txt', contentType: 'text/plain', data: notes },
    ]);
    await send('someone@sender.test', 'erin@acme.test', raw);
    const got = await stack.tenantSink.waitFor((m) => m.messageId === 'zip-1@e2e.test', 30_000);
    expect(headersOf(got.raw)).toMatch(/^X-Torii-Virus-Check: infected, removed: invoice\.zip/m);
    const parsed = await simpleParser(got.raw);
    expect(parsed.attachments.some((a) => a.filename === 'invoice.zip')).toBe(false);
    expect(parsed.attachments.find((a) => a.filename === 'notes.txt')?.content.equals(notes)).toBe(true);
    expect(got.raw.toString()).toContain(base64(notes));
  });

  it('delivers unscannable (S/MIME encrypted) mail with a header saying why, or holds it per domain policy', async () => {
    const smime = (id: string, to: string) =>
      Buffer.from(
        `From: <someone@sender.test>\r\nTo: <${to}>\r\nSubject: e2e ${id}\r\nMessage-ID: <${id}@e2e.test>\r\n` +
          'Date: Sun, 1 Jun 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n' +
          'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n' +
          'Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\r\n',
      );
    const raw = smime('smime-1', 'alice@acme.test');
    await send('someone@sender.test', 'alice@acme.test', raw);
    const got = await stack.tenantSink.waitFor((m) => m.messageId === 'smime-1@e2e.test', 30_000);
    expect(headersOf(got.raw)).toMatch(/^X-Torii-Virus-Check: unscannable: /m);
    expect(bodyOf(got.raw).equals(bodyOf(raw))).toBe(true);

    await stack.api(stack.tenant, 'PUT', `/v1/tenants/${tenantId}/domains/held.test/policies/virus`, {
      token,
      body: { settings: { unscannable: 'hold' } },
      expect: 204,
    });
    // The policy reaches the services through the directory: virus-scan's view of it, then a moment for
    // delivery's (both watch the same KV bucket).
    await eventually(
      async () =>
        (
          await stack.api<{ unscannable: string }>(
            stack.virusScan!,
            'GET',
            `/v1/tenants/${tenantId}/domains/held.test/virus/policy`,
            { token },
          )
        ).unscannable === 'hold',
      20_000,
      'policy in the directory',
    );
    await sleep(500);
    const id = await send('someone@sender.test', 'grace@held.test', smime('smime-2', 'grace@held.test'));
    await eventually(async () => (await stateOf(id)) === 'held', 30_000, 'held');
    expect(stack.tenantSink.messages.some((m) => m.messageId === 'smime-2@e2e.test')).toBe(false);
  });

  it('does not deliver an infected body; admin and recipient are warned, not the Internet sender', async () => {
    const id = await send(
      'someone@sender.test',
      'carol@acme.test',
      plain('body-1', 'someone@sender.test', 'carol@acme.test', EICAR),
    );
    await waitForRecipients(stack, id, ['admin@acme.test', 'carol@acme.test']);
    // The verdict was applied before the warnings went out; give delivery a moment to prove it holds.
    await sleep(2_000);
    expect(stack.tenantSink.messages.some((m) => m.messageId === 'body-1@e2e.test')).toBe(false);
    expect(await stateOf(id)).toBe('dropped');
    expect(stack.internetSink.messages.some((m) => m.envelope.rcptTo.includes('someone@sender.test'))).toBe(
      false,
    );
  });

  it('blocks an infected outbound message; the sender and the admin are warned', async () => {
    const raw = multipart('out-1', 'alice@acme.test', 'friend@remote.test', [
      { filename: 'eicar.com', contentType: 'application/octet-stream', data: Buffer.from(EICAR) },
    ]);
    const replies = await smtpDialog(
      '127.0.0.1',
      stack.relayPort,
      [
        'EHLO mail.acme.test',
        'MAIL FROM:<alice@acme.test>',
        'RCPT TO:<friend@remote.test>',
        'DATA',
        `${raw.toString()}.`,
        'QUIT',
      ],
      { localAddress: TENANT_SERVER_IP },
    );
    expect(replies[5].raw).toMatch(/^250 2\.0\.0 Ok queued as /);
    const id = queuedId(replies[5].raw);
    await waitForRecipients(stack, id, ['alice@acme.test', ADMIN.email]);
    await sleep(2_000);
    expect(stack.internetSink.messages.some((m) => m.messageId === 'out-1@e2e.test')).toBe(false);
  });

  it('holds mail while clamd is down and delivers it once clamd is back, nothing lost', async () => {
    const clamd = stack.clamd!;
    await clamd.stop();
    try {
      for (const n of [1, 2, 3])
        await send(
          'someone@sender.test',
          'dave@acme.test',
          plain(`wait-${n}`, 'someone@sender.test', 'dave@acme.test', `Clean ${n}.`),
        );
      await sleep(5_000);
      expect(stack.tenantSink.messages.some((m) => /^wait-/.test(m.messageId ?? ''))).toBe(false);
    } finally {
      await clamd.start();
    }
    const got = await Promise.all(
      [1, 2, 3].map((n) => stack.tenantSink.waitFor((m) => m.messageId === `wait-${n}@e2e.test`, 30_000)),
    );
    for (const m of got) expect(headersOf(m.raw)).toMatch(/^X-Torii-Virus-Check: clean/m);
  });
});

/** Waits until every address got a warning about `messageId` at the tenant's server; returns their texts. */
async function waitForRecipients(stack: Stack, messageId: string, addresses: string[]): Promise<string[]> {
  return Promise.all(
    addresses.map(async (address) => {
      const m = await stack.tenantSink.waitFor(
        (w) => isWarningAbout(messageId)(w) && w.envelope.rcptTo.includes(address),
        30_000,
      );
      return (await simpleParser(m.raw)).text ?? '';
    }),
  );
}
