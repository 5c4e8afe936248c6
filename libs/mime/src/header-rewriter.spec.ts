import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { simpleParser } from 'mailparser';
import { HeaderRewriter, HeaderTooLargeError, authservId, formatReceived, formatReceivedSpf, stampDeliveryHeaders, type HeaderBlock } from './index';

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
    // Our Authentication-Results on top (RFC 8601 §5), our Received right below it.
    expect(head.startsWith('Authentication-Results: mx.torii.test; spf=fail smtp.mailfrom=evil.example\r\nReceived: from mail.example.org (unknown [192.0.2.1])')).toBe(true);
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

/** The header section of `message` as lines (folds kept), one character per byte. */
function headLines(message: Buffer): string[] {
  const text = message.toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n')).split(/\r\n(?![ \t])/);
}

/** What delivery does to a tagged message: the Subject's bytes behind a tag, on top, with the trace headers. */
function tagAndStamp(headers: HeaderBlock): void {
  const subject = headers.valueBytes('Subject')[0] ?? Buffer.alloc(0);
  headers.replace('Subject', Buffer.concat([Buffer.from('[MEIWAKU!!] '), subject]));
  headers.prepend('X-Torii-Spam-Check', '98.00%');
  stampDeliveryHeaders(headers, {
    authservId: 'mx.torii.test',
    authenticationResults: 'mx.torii.test; spf=pass smtp.mailfrom=example.org',
    receivedSpf: 'pass (mx.torii.test: domain of a@example.org designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1;',
    received: formatReceived({ fromHelo: 'mail.example.org', fromIp: '192.0.2.1', by: 'mx.torii.test', with: 'ESMTP', id: 'ABC', date: new Date(0) }),
  });
}

describe('HeaderRewriter with raw 8-bit headers (8BITMIME, SMTPUTF8)', () => {
  const sjis = (hex: string) => Buffer.from(hex, 'hex');
  // 生のShift_JIS件名 無料; ソ表 (trail bytes 0x5C); Très bon marché in Latin-1.
  const SJIS_SUBJECT = sjis('90b682cc53686966745f4a49538c8f96bc2096b397bf');
  const SJIS_BACKSLASH = sjis('835c955c');
  const LATIN1 = sjis('5472e87320626f6e206d61726368e9');
  const message = (subject: Buffer, extra: Buffer[] = []) =>
    Buffer.concat([
      Buffer.from('From: '),
      Buffer.from('山田 太郎 <taro@example.jp>'),
      Buffer.from('\r\nX-Legacy: '),
      SJIS_BACKSLASH,
      Buffer.from(' '),
      SJIS_SUBJECT,
      Buffer.from('\r\nTo: bob@demo.example\r\nSubject: '),
      subject,
      ...extra,
      Buffer.from('\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n本文です。\r\n'),
    ]);
  const lineOf = (out: Buffer, name: string): Buffer => {
    const line = headLines(out).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return Buffer.from(line ?? '', 'latin1');
  };

  it.each([
    ['UTF-8', Buffer.from('生のUTF-8件名 無料')],
    ['UTF-8 with 0x85 and 0xA0 bytes', Buffer.from('ム…ムー ムー')],
    ['Shift_JIS', SJIS_SUBJECT],
    ['Shift_JIS with 0x5C trail bytes', SJIS_BACKSLASH],
    ['Latin-1', LATIN1],
  ])('tags a raw %s Subject: the original bytes follow the tag, every other header byte for byte', async (_name, subject) => {
    const source = message(subject);
    const out = await rewrite(source, tagAndStamp);
    expect(lineOf(out, 'Subject').equals(Buffer.concat([Buffer.from('Subject: [MEIWAKU!!] '), subject]))).toBe(true);
    const untouched = (m: Buffer) => headLines(m).filter((l) => /^(From|X-Legacy|To|MIME-Version|Content-Type):/i.test(l));
    expect(untouched(out)).toEqual(untouched(source));
    expect(untouched(out)).toHaveLength(5);
    expect(bodyOf(out).equals(bodyOf(source))).toBe(true);
  });

  it('keeps a raw UTF-8 From display name and a raw Shift_JIS header when only trace headers are added', async () => {
    const source = message(Buffer.from('無料'));
    const out = await rewrite(source, (headers) => {
      headers.prepend('X-Torii-Spam-Check', '12.00%');
      stampDeliveryHeaders(headers, { authservId: 'mx.torii.test', authenticationResults: 'mx.torii.test; none' });
    });
    expect(out.subarray(out.indexOf('From: ')).equals(source.subarray(source.indexOf('From: ')))).toBe(true);
    expect((await simpleParser(out)).from?.value[0]).toEqual({ name: '山田 太郎', address: 'taro@example.jp' });
  });

  it('folds a long raw UTF-8 Subject only at spaces, so unfolding gives back its bytes', async () => {
    // 0x85 and 0xA0 are bytes inside ム and …, never white space to fold at.
    const subject = Buffer.from(`${'ムームー… '.repeat(12)}終わり`);
    const out = await rewrite(message(subject), tagAndStamp);
    const line = lineOf(out, 'Subject');
    const lines = line.toString('latin1').split('\r\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const [i, l] of lines.entries()) {
      expect(l.length).toBeLessThanOrEqual(76);
      if (i) expect(l).toMatch(/^ \S/);
    }
    expect(Buffer.from(line.toString('latin1').replace(/\r\n/g, ''), 'latin1').equals(Buffer.concat([Buffer.from('Subject: [MEIWAKU!!] '), subject]))).toBe(true);
    expect((await simpleParser(out)).subject).toBe(`[MEIWAKU!!] ${subject.toString()}`);
  });

  it('folds a long Subject with no space only after the tag, never inside a character', async () => {
    const subject = Buffer.from('無'.repeat(40));
    const out = await rewrite(message(subject), tagAndStamp);
    expect(lineOf(out, 'Subject').equals(Buffer.concat([Buffer.from('Subject: [MEIWAKU!!]\r\n '), subject]))).toBe(true);
  });

  it('unfolds a folded multi-word encoded Subject and folds it again between words', async () => {
    const words = ['=?ISO-2022-JP?B?GyRCMnE1RCRON28bKEI=?=', '=?ISO-2022-JP?B?GyRCMnE1RCROGyhC?=', '=?ISO-2022-JP?B?GyRCN28kSyREJCQkRhsoQg==?='];
    const source = message(Buffer.from(`Re: ${words[0]}\r\n ${words[1]}\r\n\t${words[2]}`));
    const out = await rewrite(source, tagAndStamp);
    for (const l of lineOf(out, 'Subject').toString().split('\r\n')) expect(l.length).toBeLessThanOrEqual(76);
    expect((await simpleParser(out)).subject).toBe('[MEIWAKU!!] Re: 会議の件会議の件について');
  });

  it('puts our Authentication-Results on top, Received-SPF above our Received, and an earlier hop\'s Received-SPF below', async () => {
    const source = message(Buffer.from('hi'), [Buffer.from('\r\nReceived-SPF: pass (earlier.example: ok) client-ip=198.51.100.1;')]);
    const out = await rewrite(source, tagAndStamp);
    const names = headLines(out).map((l) => l.slice(0, l.indexOf(':')));
    // The tagged Subject stays where the sender put it: nothing is reordered, only prepended.
    expect(names).toEqual(['Authentication-Results', 'Received-SPF', 'Received', 'X-Torii-Spam-Check', 'From', 'X-Legacy', 'To', 'Subject', 'Received-SPF', 'MIME-Version', 'Content-Type']);
    expect(headLines(out).filter((l) => l.startsWith('Received-SPF:'))).toEqual([
      'Received-SPF: pass (mx.torii.test: domain of a@example.org designates\r\n 192.0.2.1 as permitted sender) client-ip=192.0.2.1;',
      'Received-SPF: pass (earlier.example: ok) client-ip=198.51.100.1;',
    ]);
  });
});

describe('HeaderBlock.replace', () => {
  const source = Buffer.from('Received: from a by b; Mon, 7 Dec 2026 10:00:00 +0000\r\nSubject: one\r\nX-A: 1\r\nsubject: two\r\n\r\nbody\r\n');

  it('replaces the first instance where it stands, keeping its spelling; later instances go (no untagged second Subject)', async () => {
    const out = await rewrite(source, (h) => h.replace('Subject', '[SPAM] one'));
    expect(headLines(out)).toEqual(['Received: from a by b; Mon, 7 Dec 2026 10:00:00 +0000', 'Subject: [SPAM] one', 'X-A: 1']);
    expect(bodyOf(out).toString()).toBe('body\r\n');
  });

  it('adds the header at the top when there is none', async () => {
    const out = await rewrite(source, (h) => h.replace('X-B', 'new'));
    expect(headLines(out)[0]).toBe('X-B: new');
  });
});

describe('formatReceivedSpf', () => {
  const check = { receiver: 'mx.torii.test', clientIp: '192.0.2.1', helo: 'mail.example.org', mailFrom: 'alice@example.org', domain: 'example.org' };
  const pairs = 'client-ip=192.0.2.1; envelope-from="alice@example.org"; helo=mail.example.org; receiver=mx.torii.test; identity=mailfrom;';

  it.each([
    ['pass', 'domain of alice@example.org designates 192.0.2.1 as permitted sender'],
    ['fail', 'domain of alice@example.org does not designate 192.0.2.1 as permitted sender'],
    ['softfail', 'domain of transitioning alice@example.org does not designate 192.0.2.1 as permitted sender'],
    ['neutral', '192.0.2.1 is neither permitted nor denied by domain of alice@example.org'],
    ['none', 'example.org does not designate permitted sender hosts'],
    ['temperror', 'temporary error in processing during lookup of alice@example.org'],
    ['permerror', 'permanent error in processing during lookup of alice@example.org'],
  ])('%s', (result, comment) => {
    expect(formatReceivedSpf({ ...check, result })).toBe(`${result} (mx.torii.test: ${comment}) ${pairs}`);
  });

  it('names the HELO identity, without an envelope-from, for MAIL FROM:<>', () => {
    expect(formatReceivedSpf({ ...check, result: 'pass', mailFrom: '', domain: 'mail.example.org' })).toBe(
      'pass (mx.torii.test: domain of postmaster@mail.example.org designates 192.0.2.1 as permitted sender) ' +
        'client-ip=192.0.2.1; helo=mail.example.org; receiver=mx.torii.test; identity=helo;',
    );
  });

  it('quotes what is not a dot-atom and escapes comments', () => {
    const mailFrom = String.raw`"a \"b\"(c)"@example.org`;
    const out = formatReceivedSpf({ ...check, result: 'Fail', clientIp: '2001:db8::1', helo: '[192.0.2.1]', mailFrom });
    expect(out).toBe(
      String.raw`fail (mx.torii.test: domain of "a \\"b\\"\(c\)"@example.org does not designate 2001:db8::1 as permitted sender) ` +
        String.raw`client-ip="2001:db8::1"; envelope-from="\"a \\\"b\\\"(c)\"@example.org"; helo="[192.0.2.1]"; receiver=mx.torii.test; identity=mailfrom;`,
    );
  });

  it('stamps nothing for a word that is not an SPF result', () => {
    expect(formatReceivedSpf({ ...check, result: 'policy' })).toBeUndefined();
    expect(formatReceivedSpf({ ...check, result: '' })).toBeUndefined();
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
