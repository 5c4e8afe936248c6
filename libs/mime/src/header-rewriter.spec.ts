import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { HeaderRewriter, HeaderTooLargeError, authservId, formatReceived, stampDeliveryHeaders } from './index';

const MESSAGE = Buffer.from(
  [
    'Authentication-Results: mx.torii.test; spf=pass smtp.mailfrom=evil.example',
    'Authentication-Results: other.example;',
    '  dkim=pass header.d=example.org',
    'From: Alice <alice@example.org>',
    'To: bob@demo.example',
    'Subject: =?ISO-2022-JP?B?GyRCJEYkOSRIGyhC?=',
    'Message-ID: <m1@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Body line one.\r\n\r\n.. a line that starts with a dot\r\nlast line without newline',
  ].join('\r\n'),
);

/** Feeds `data` in small, awkward chunks so the header boundary falls inside one. */
function chunked(data: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return Readable.from(chunks);
}

async function rewrite(data: Buffer, edit: ConstructorParameters<typeof HeaderRewriter>[0], size = 7) {
  return buffer(chunked(data, size).pipe(new HeaderRewriter(edit)));
}

function bodyOf(message: Buffer): Buffer {
  return message.subarray(message.indexOf('\r\n\r\n') + 4);
}

describe('HeaderRewriter', () => {
  it('passes an untouched message through byte for byte', async () => {
    const out = await rewrite(MESSAGE, () => undefined);
    expect(out.equals(MESSAGE)).toBe(true);
  });

  it('stamps gateway headers, drops forged results for our id, and keeps the body identical', async () => {
    const out = await rewrite(MESSAGE, (headers) =>
      stampDeliveryHeaders(headers, {
        authservId: 'MX.torii.test',
        authenticationResults: 'mx.torii.test; spf=fail smtp.mailfrom=evil.example',
        received: formatReceived({
          fromHelo: 'mail.example.org',
          fromIp: '192.0.2.1',
          by: 'mx.torii.test',
          with: 'ESMTPS',
          id: 'ABC',
          date: new Date(Date.UTC(2026, 10, 28, 12, 0, 0)),
        }),
      }),
    );
    const text = out.toString('latin1');
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    expect(head.startsWith('Received: from mail.example.org (unknown [192.0.2.1])')).toBe(true);
    expect(head).toContain('Sat, 28 Nov 2026 12:00:00 +0000');
    expect(head.match(/^Authentication-Results: mx\.torii\.test;/gm)).toHaveLength(1);
    expect(head).toContain('spf=fail');
    expect(head).not.toContain('spf=pass');
    expect(head).toContain('Authentication-Results: other.example;\r\n  dkim=pass'); // someone else's stays
    expect(head).toContain('Subject: =?ISO-2022-JP?B?GyRCJEYkOSRIGyhC?=');
    expect(bodyOf(out).equals(bodyOf(MESSAGE))).toBe(true);
  });

  it('streams a large body without changing a byte', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 'abcdefghij\r\n');
    const message = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), body]);
    const out = await rewrite(message, (h) => h.prepend('X-Torii-Test', 'yes'), 64 * 1024);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(bodyOf(out))).toBe(sha(body));
    expect(out.toString('latin1', 0, 40)).toMatch(/^X-Torii-Test: yes\r\nSubject: big/);
  });

  it('handles LF-only messages and messages with no body', async () => {
    const lf = Buffer.from('Subject: lf\nFrom: a@b.example\n\nbody\n');
    const out = await rewrite(lf, (h) => h.prepend('X-A', '1'));
    expect(out.toString()).toBe('X-A: 1\r\nSubject: lf\r\nFrom: a@b.example\r\n\r\nbody\n');
    const headersOnly = await rewrite(Buffer.from('Subject: none\r\n'), (h) => h.prepend('X-A', '1'));
    expect(headersOnly.toString()).toBe('X-A: 1\r\nSubject: none\r\n\r\n');
  });

  it('refuses an endless header section instead of buffering it', async () => {
    const endless = Buffer.alloc(2 * 1024 * 1024, 'X-Junk: aaaaaaaaaaaaaaaaaaaa\r\n');
    const stream = chunked(endless, 64 * 1024).pipe(new HeaderRewriter(() => undefined, 1024 * 1024));
    await expect(buffer(stream)).rejects.toBeInstanceOf(HeaderTooLargeError);
  });
});

describe('authservId', () => {
  it.each([
    ['mx.torii.test; spf=pass', 'mx.torii.test'],
    ['MX.Torii.Test 1; none', 'mx.torii.test'],
    ['(comment) mx.torii.test; none', 'mx.torii.test'],
    ['mx.torii.test', 'mx.torii.test'],
  ])('%s → %s', (value, id) => expect(authservId(value)).toBe(id));
});
