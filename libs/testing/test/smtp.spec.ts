import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, sendMail, smtpDialog, startSmtpSink, type SmtpSink } from '../src/index';

describe('SmtpSink with sendMail and smtpDialog', () => {
  let sink: SmtpSink;
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'torii-sink-'));
    sink = await startSmtpSink({ directory, size: 64 * 1024 });
  });
  afterEach(() => {
    sink.reset();
    sink.clear();
  });
  afterAll(async () => {
    await sink.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('records envelope and the raw bytes exactly, and writes the .eml', async () => {
    const raw = fixture('japanese-iso2022jp');
    const result = await sendMail({
      port: sink.port,
      from: 'sato@example.jp',
      to: ['tanaka@example.com', 'b@example.com'],
      raw,
    });
    expect(result.accepted).toEqual(['tanaka@example.com', 'b@example.com']);
    expect(result.response).toMatch(/^250 /);
    const [message] = await sink.waitFor(1);
    expect(message.envelope).toEqual({
      mailFrom: 'sato@example.jp',
      rcptTo: ['tanaka@example.com', 'b@example.com'],
    });
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.messageId).toBe('20240314023000.A1B2C3@example.jp');
    expect(message.heloName).toBe('client.torii.test');
    const files = (await readdir(directory)).filter((f) => f.includes('20240314023000'));
    expect(files).toHaveLength(1);
    expect((await readFile(join(directory, files[0]))).equals(raw)).toBe(true);
  });

  it('a sink restarted on the same directory numbers on and overwrites nothing', async () => {
    const again = await startSmtpSink({ directory });
    try {
      const before = await readdir(directory);
      await sendMail({ port: again.port, from: 'a@x.test', to: ['b@x.test'], raw: 'From: <a@x.test>\r\n\r\nno id\r\n' });
      await again.waitFor(1);
      const after = await readdir(directory);
      expect(after).toHaveLength(before.length + 1);
      const highest = Math.max(0, ...before.map((f) => Number(f.split('-')[0])));
      expect(after).toContain(`${String(highest + 1).padStart(6, '0')}-no-message-id.eml`);
    } finally {
      await again.close();
    }
  });

  it('keeps leading dots (dot-stuffing undone)', async () => {
    const raw = 'From: <a@x.test>\r\nMessage-ID: <dots@x.test>\r\n\r\n.starts with a dot\r\n..two\r\n';
    await sendMail({ port: sink.port, from: 'a@x.test', to: ['b@x.test'], raw });
    const message = await sink.waitFor((m) => m.messageId === 'dots@x.test');
    expect(message.raw.toString()).toBe(raw);
  });

  it('answers a rejected recipient with the programmed code', async () => {
    sink.rejectRcpt('Nobody@Example.com', 550, '5.1.1 <nobody@example.com>: Recipient address rejected');
    const replies = await smtpDialog('127.0.0.1', sink.port, [
      'EHLO client.test',
      'MAIL FROM:<a@x.test>',
      'RCPT TO:<nobody@example.com>',
      'RCPT TO:<somebody@example.com>',
      'QUIT',
    ]);
    expect(replies.map((r) => r.code)).toEqual([220, 250, 250, 550, 250, 221]);
    expect(replies[3].raw).toBe('550 5.1.1 <nobody@example.com>: Recipient address rejected');
    expect(replies[1].text).toContain('SIZE 65536');
  });

  it('reports partial rejection to sendMail', async () => {
    sink.rejectRcpt('nobody@example.com');
    const result = await sendMail({
      port: sink.port,
      from: 'a@x.test',
      to: ['nobody@example.com', 'ok@example.com'],
    });
    expect(result).toMatchObject({ accepted: ['ok@example.com'], rejected: ['nobody@example.com'] });
  });

  it('fails DATA as programmed, for a number of transactions', async () => {
    sink.failData(451, '4.3.0 Try again', 1);
    await expect(sendMail({ port: sink.port, from: 'a@x.test', to: ['b@x.test'] })).rejects.toMatchObject({
      responseCode: 451,
    });
    await sendMail({ port: sink.port, from: 'a@x.test', to: ['b@x.test'] });
    expect(sink.messages).toHaveLength(1);
  });

  it('refuses a message over the size limit with 552 5.3.4', async () => {
    const big = `Subject: big\r\n\r\n${'y'.repeat(70 * 1024)}\r\n.`;
    const replies = await smtpDialog('127.0.0.1', sink.port, [
      'HELO c',
      'MAIL FROM:<a@x.test>',
      'RCPT TO:<b@x.test>',
      'DATA',
      big,
    ]);
    expect(replies.map((r) => r.code)).toEqual([220, 250, 250, 250, 354, 552]);
    expect(replies[5].text).toMatch(/^5\.3\.4 /);
    expect(sink.messages).toHaveLength(0);
  });

  it('goes down and comes back on the same port', async () => {
    const port = sink.port;
    await sink.down();
    expect(sink.isUp).toBe(false);
    await expect(sendMail({ port, from: 'a@x.test', to: ['b@x.test'], timeoutMs: 2_000 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    await expect(smtpDialog('127.0.0.1', port, [])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sink.up();
    expect(sink.port).toBe(port);
    await sendMail({ port, from: 'a@x.test', to: ['b@x.test'] });
    await sink.waitFor(1);
  });

  it('waitFor times out with a clear message', async () => {
    await expect(sink.waitFor(1, 50)).rejects.toThrow(/waited 50 ms for 1 messages, have 0/);
  });
});

describe('SmtpSink with STARTTLS', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink({ tls: true });
  });
  afterAll(() => sink.close());

  it('accepts mail over STARTTLS from nodemailer', async () => {
    await sendMail({
      port: sink.port,
      from: 'a@x.test',
      to: ['b@x.test'],
      tls: 'require',
      message: { subject: 'secret', text: 'hi' },
    });
    const [message] = await sink.waitFor(1);
    expect(message.secure).toBe(true);
    expect(message.raw.toString()).toContain('Subject: secret');
  });

  it('advertises STARTTLS only when asked to', async () => {
    const plain = await startSmtpSink();
    try {
      const [, ehlo] = await smtpDialog('127.0.0.1', plain.port, ['EHLO c']);
      expect(ehlo.text).not.toContain('STARTTLS');
      const [, secureEhlo] = await smtpDialog('127.0.0.1', sink.port, ['EHLO c']);
      expect(secureEhlo.text).toContain('STARTTLS');
    } finally {
      await plain.close();
    }
  });
});
