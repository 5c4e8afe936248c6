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

  it('a Date within two days of Received is not skewed', () => {
    expect(fired({ message: message({ headers: { Date: 'Tue, 14 Oct 2025 20:00:00 +0000' } }) })).not.toContain('DATE_SKEW');
  });
});
