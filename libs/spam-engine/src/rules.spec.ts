import { extractFeatures } from './features';
import { RULES } from './rules';
import type { MessageInput } from './types';

interface Draft {
  headers?: Record<string, string | undefined>;
  body?: string;
}

const CLEAN_HEADERS: Record<string, string> = {
  From: 'Alice <alice@example.org>',
  To: 'bob@example.net',
  Subject: 'Lunch on Friday',
  Date: 'Wed, 15 Oct 2025 09:12:44 +0200',
  'Message-ID': '<abc.123@example.org>',
  Received: 'from mx.example.org by mx.example.net; Wed, 15 Oct 2025 09:12:50 +0200',
  'Content-Type': 'text/plain; charset=utf-8',
};
const CLEAN_BODY = 'Shall we meet at noon at the usual place? See you there, and bring the slides.';

function message({ headers = {}, body = CLEAN_BODY }: Draft = {}): string {
  const all = { ...CLEAN_HEADERS, ...headers };
  const lines = Object.entries(all)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`);
  return lines.join('\r\n') + '\r\n\r\n' + body + '\r\n';
}

const MULTIPART_BODY = (b: string) => ['--' + b, 'Content-Type: text/plain; charset=utf-8', '', CLEAN_BODY, '--' + b + '--', ''].join('\r\n');
const html = (inner: string): Draft => ({ headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: `<html><body>${inner}</body></html>` });

const CASES: Record<string, Partial<MessageInput> & { draft?: Draft }> = {
  HTML_ONLY: { draft: html('<p>' + CLEAN_BODY + ' '.repeat(3) + CLEAN_BODY + CLEAN_BODY + '</p>') },
  IMAGE_ONLY: { draft: html('<img src="http://example.com/offer.png">') },
  HTML_HIDDEN_TEXT: { draft: html(`<p>${CLEAN_BODY.repeat(3)}</p><div style="display:none">lorem ipsum</div>`) },
  NO_TEXT: { draft: { headers: { Subject: '' }, body: '' } },
  MIME_DEFECT: { draft: { headers: { 'Content-Type': 'multipart/mixed' } } },
  TEXT_BASE64: { draft: { headers: { 'Content-Transfer-Encoding': 'base64', 'Content-Type': 'text/plain; charset=us-ascii' }, body: Buffer.from(CLEAN_BODY).toString('base64') } },
  URL_IP_LITERAL: { draft: { body: CLEAN_BODY + ' http://198.51.100.7/offer' } },
  URL_USERINFO: { draft: { body: CLEAN_BODY + ' http://www.bank.example@evil.example/login' } },
  URL_OBFUSCATED: { draft: { body: CLEAN_BODY + ' http://%65vil.example/' } },
  URL_ANCHOR_MISMATCH: { draft: html(`<p>${CLEAN_BODY.repeat(3)}</p><a href="http://evil.example/login">https://www.mybank.example/</a>`) },
  DATE_MISSING: { draft: { headers: { Date: undefined } } },
  DATE_MALFORMED: { draft: { headers: { Date: '15/10/2025 9:12' } } },
  DATE_SKEW: { draft: { headers: { Date: 'Wed, 1 Jan 2025 09:12:44 +0200' } } },
  MSGID_MISSING: { draft: { headers: { 'Message-ID': undefined } } },
  MSGID_MALFORMED: { draft: { headers: { 'Message-ID': 'abc123' } } },
  FROM_MISSING: { draft: { headers: { From: undefined } } },
  FROM_NAME_SPOOF: { draft: { headers: { From: '"support@mybank.example" <x@evil.example>' } } },
  TO_MISSING: { draft: { headers: { To: undefined } } },
  TO_UNDISCLOSED: { draft: { headers: { To: 'undisclosed-recipients:;' } } },
  SUBJECT_EMPTY: { draft: { headers: { Subject: '' } } },
  SUBJECT_SHOUTING: { draft: { headers: { Subject: 'MAKE MONEY FAST NOW' } } },
  REPLY_TO_OTHER_DOMAIN: { draft: { headers: { 'Reply-To': 'replies@other.example' } } },
  MSGID_OUTLOOK_NO_MUA: { draft: { headers: { 'Message-ID': '<000801c26d2e$4d7e3a80$0a00a8c0@example.org>' } } },
  FORGED_MUA_OUTLOOK: { draft: { headers: { 'X-Mailer': 'Microsoft Outlook Express 6.00.2600.0000' } } },
  FORGED_OUTLOOK_TAGS: { draft: { headers: { 'MIME-Version': '1.0', 'Content-Type': 'multipart/alternative; boundary="----=_NextPart_000_0007_12AB34CD"' }, body: MULTIPART_BODY('----=_NextPart_000_0007_12AB34CD') } },
  SUBJECT_SPACED: { draft: { headers: { Subject: 'Lunch on Friday                 xkq' } } },
  HTML_NO_CHARSET: { draft: { headers: { 'Content-Type': 'text/html' }, body: `<html><body><p>${CLEAN_BODY}</p></body></html>` } },
  MULTIPART_NO_MIME_VERSION: { draft: { headers: { 'Content-Type': 'multipart/alternative; boundary="b1"' }, body: MULTIPART_BODY('b1') } },
  SPF_FAIL: { auth: { spf: 'fail' } },
  SPF_SOFTFAIL: { auth: { spf: 'softfail' } },
  DKIM_FAIL: { auth: { dkim: 'fail' } },
  DKIM_ALIGNED_PASS: { auth: { dkim: 'pass', dkimAligned: true } },
  DMARC_FAIL: { auth: { dmarc: 'fail' } },
  DMARC_PASS: { auth: { dmarc: 'pass' } },
  HELO_IP_LITERAL: { client: { helo: '198.51.100.7' } },
  HELO_NO_DOT: { client: { helo: 'localhost' } },
  CLIENT_NO_RDNS: { client: { ip: '198.51.100.7', rdns: '' } },
};

const fired = (input: MessageInput) => extractFeatures(input).rules.map((r) => r.id);

describe('rules', () => {
  it('the clean message fires no rule', () => {
    expect(fired({ message: message(), auth: { spf: 'pass' }, client: { helo: 'mx.example.org', rdns: 'mx.example.org' } })).toEqual([]);
  });

  it('every rule has a case', () => {
    expect(Object.keys(CASES).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it.each(Object.entries(CASES))('%s fires on its fixture', (id, { draft, ...rest }) => {
    expect(fired({ message: message(draft), ...rest })).toContain(id);
  });

  it('an anchor showing the same domain as its link is not a mismatch', () => {
    expect(fired({ message: message(html(`<p>${CLEAN_BODY}</p><a href="https://www.example.org/a">example.org</a>`)) })).not.toContain('URL_ANCHOR_MISMATCH');
  });

  // The genuine article: Outlook Express 6 with its Message-ID, boundary and X-MimeOLE, in a MIME 1.0 message.
  const OUTLOOK: Draft = {
    headers: {
      'Message-ID': '<000801c26d2e$4d7e3a80$0a00a8c0@example.org>',
      'X-Mailer': 'Microsoft Outlook Express 6.00.2600.0000',
      'X-MimeOLE': 'Produced By Microsoft MimeOLE V6.00.2600.0000',
      'MIME-Version': '1.0',
      'Content-Type': 'multipart/alternative; boundary="----=_NextPart_000_0005_01C26D0B.B8C4E0A0"',
    },
    body: MULTIPART_BODY('----=_NextPart_000_0005_01C26D0B.B8C4E0A0'),
  };

  it('a real Outlook Express message fires none of the Outlook forgery rules', () => {
    expect(fired({ message: message(OUTLOOK) })).toEqual([]);
  });

  it('Outlook forgery rules: each mark missing or foreign fires', () => {
    const without = (name: string): Draft => ({ ...OUTLOOK, headers: { ...OUTLOOK.headers, [name]: undefined } });
    expect(fired({ message: message(without('X-MimeOLE')) })).toEqual(['FORGED_MUA_OUTLOOK']);
    expect(fired({ message: message({ ...without('X-MimeOLE'), headers: { ...without('X-MimeOLE').headers, 'X-Mailer': undefined } }) })).toEqual(['MSGID_OUTLOOK_NO_MUA', 'FORGED_OUTLOOK_TAGS']);
    // Outlook 12 and later write no X-MimeOLE: not held to it. Outlook Express for the Mac has other marks.
    expect(fired({ message: message({ ...without('X-MimeOLE'), headers: { ...without('X-MimeOLE').headers, 'X-Mailer': 'Microsoft Office Outlook 12.0' } }) })).toEqual([]);
    expect(fired({ message: message({ headers: { 'X-Mailer': 'Microsoft Outlook Express Macintosh Edition - 5.01 (1630)' } }) })).toEqual([]);
    // A Message-ID in that form written by an Exchange / Outlook client that sends Thread-Index but no X-Mailer.
    expect(fired({ message: message({ headers: { 'Message-ID': '<000801c26d2e$4d7e3a80$0a00a8c0@example.org>', 'Thread-Index': 'AcJtLk1+On8Aa2o=' } }) })).toEqual([]);
  });

  it('a Subject with a number or an ID at its end fires nothing (order numbers, tickets, ZIP codes are ham too)', () => {
    for (const Subject of ['Newsletter for July 2002', 'Order 48213', 'Storm warning until 5:45 pm for 12144', 'Ticket [ID x7f3k2]', 'Lunch  on Friday']) {
      const f = fired({ message: message({ headers: { Subject } }) });
      expect([Subject, f]).toEqual([Subject, []]);
    }
  });

  it('HTML with a charset, multipart with MIME-Version: no rule', () => {
    expect(fired({ message: message(html(`<p>${CLEAN_BODY.repeat(3)}</p>`)) }).filter((id) => id === 'HTML_NO_CHARSET')).toEqual([]);
    expect(fired({ message: message({ headers: { 'MIME-Version': '1.0', 'Content-Type': 'multipart/alternative; boundary="b1"' }, body: MULTIPART_BODY('b1') }) })).toEqual([]);
  });

  it('a Date within two days of Received is not skewed', () => {
    expect(fired({ message: message({ headers: { Date: 'Tue, 14 Oct 2025 20:00:00 +0000' } }) })).not.toContain('DATE_SKEW');
  });
});
