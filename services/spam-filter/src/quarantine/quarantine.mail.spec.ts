import { parseMessage } from '@torii/spam-engine';
import { simpleParser } from 'mailparser';
import { displaySender, listSubject } from '../scoring/message-facts';
import { composeDigest, composeWarning } from './quarantine.mail';
import { oneLine } from './quarantine.rules';

const base = { brand: 'Torii', gatewayHostname: 'gw.torii.test', to: 'erin@example.test', submitId: 'w1', now: new Date('2026-11-28T00:00:00Z') };

describe('composeWarning', () => {
  it.each([
    [40_000_000, 50_000_000, '80% full: 40.0 MB of 50.0 MB'],
    [4_000, 5_000, '80% full: 4 kB of 5 kB'],
    [85_000, 100_000, '85% full: 85 kB of 0.1 MB'],
  ])('%d of %d bytes → "%s" (decimal units, as plans count them)', async (usedBytes, quotaBytes, expected) => {
    const mail = await simpleParser(await composeWarning({ ...base, usedBytes, quotaBytes }));
    expect(mail.text).toContain(expected);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
  });
});

describe('composeDigest', () => {
  const line = { sender: 'offers@spam.example', subject: 'FREE', date: base.now, scorePercent: 99.5, releaseUrl: 'https://gw.torii.test/r/1' };

  it('offers "allow sender" with each message while the box\'s allow list counts', async () => {
    const mail = await simpleParser(await composeDigest({ ...base, lines: [{ ...line, allowUrl: 'https://gw.torii.test/a/1' }], more: 0, restUrl: 'https://gw.torii.test/box' }));
    expect(mail.text).toContain('Allow sender / 送信者を許可: https://gw.torii.test/a/1');
    expect(mail.html).toContain('href="https://gw.torii.test/a/1"');
  });

  it('offers no "allow sender" while it is inactive (the domain\'s rules come first, SPAM9)', async () => {
    const mail = await simpleParser(await composeDigest({ ...base, lines: [line], more: 0, restUrl: 'https://gw.torii.test/box' }));
    expect(mail.text).toContain('Release / 配信: https://gw.torii.test/r/1');
    expect(mail.text).not.toContain('Allow sender');
    expect(mail.html).not.toContain('Allow sender');
  });
});

describe('composeDigest with a spammer\'s line breaks (security review F3)', () => {
  // The reviewer's message: CR/LF inside RFC 2047 encoded words of Subject and From, decoded by the engine.
  const evilSubject = 'Invoice\r\n  Release / 配信: https://evil.example/v1/quarantine/links/x\r\n';
  const raw = Buffer.from(
    `From: =?UTF-8?B?${Buffer.from('IT Desk\r\nBcc: x@evil.example').toString('base64')}?= <a@spam.example>\r\nTo: bob@a.test\r\n` +
      `Subject: =?UTF-8?B?${Buffer.from(evilSubject).toString('base64')}?=\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <x@y>\r\n\r\nhello\r\n`,
    'latin1',
  );

  it.each([
    ['as filed (one line each)', true],
    ['as stored before the rule (raw decoded text)', false],
  ])('shows sender and subject on their own line, %s; the only Release link is ours', async (_label, filed) => {
    const parsed = parseMessage(raw);
    const decodedSubject = listSubject(raw, parsed);
    const decodedSender = displaySender(raw, parsed) ?? '';
    expect(decodedSubject).toContain('\r\n'); // the hazard is real: the decoded text carries the breaks
    const subject = filed ? oneLine(decodedSubject) : decodedSubject;
    const sender = filed ? oneLine(decodedSender) : decodedSender;
    const mail = await simpleParser(
      await composeDigest({ ...base, lines: [{ sender, subject, date: base.now, scorePercent: 99, releaseUrl: 'https://q.torii.test/real' }], more: 0, restUrl: 'https://q.torii.test/rest' }),
    );
    const lines = (mail.text ?? '').split(/\r?\n/);
    // A line of its own that offers a release is only ever ours; the spammer's text stays inside the subject line.
    expect(lines.filter((l) => /^\s*Release \/ 配信:/.test(l))).toEqual(['  Release / 配信: https://q.torii.test/real']);
    expect(lines).toContain('  Invoice   Release / 配信: https://evil.example/v1/quarantine/links/x ');
    expect(lines.some((l) => l.startsWith('Bcc:'))).toBe(false);
    expect(lines.find((l) => l.includes('IT Desk'))).toMatch(/99\.00% {2}IT Desk Bcc: x@evil\.example <a@spam\.example>$/);
    expect(mail.html).not.toMatch(/[\r\n]\s*Release \/ 配信: https:\/\/evil/);
    expect(mail.html).toContain('<td>Invoice   Release / 配信: https://evil.example/v1/quarantine/links/x </td>');
  });
});

describe('oneLine', () => {
  it('turns every run of C0, DEL, C1 and U+2028/U+2029 into one space, and keeps the rest', () => {
    expect(oneLine('a\r\nb\tc\u0000d\u007fe\u0085f\u009bg\u2028h\u2029i\u000b\u000cj')).toBe('a b c d e f g h i j');
    expect(oneLine('件名 «ok» — 😀')).toBe('件名 «ok» — 😀');
  });
});
