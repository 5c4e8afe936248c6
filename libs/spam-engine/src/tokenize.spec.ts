import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage } from './parse';
import { baseDomain, nonSpaceLength, parseUrl, tokenize } from './tokenize';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name));

describe('tokenize', () => {
  it.each([
    ['Hello, World! Click here.', ['hello', 'world', 'click', 'here']],
    ["don't e-mail me", ["don't", 'e-mail', 'me']],
    ['Only $1,000,000 in 2002', ['only', '$0', '000', '000', 'in', '0000']],
    ['order 12345678 now', ['order', '0+', 'now']],
    ['a I x', []],
    ['日本語', ['日本', '本語']],
    ['無料', ['無料']],
    ['東京 と', ['東京', 'と']],
    ['ﾃｽﾄ テスト', ['テス', 'スト', 'テス', 'スト']],
    ['ＦＲＥＥ　ｍｏｎｅｙ', ['free', 'money']],
    ['今すぐclick here', ['今す', 'すぐ', 'click', 'here']],
  ])('%j', (text, expected) => {
    expect(tokenize(text)).toEqual(expected);
  });

  it('Thai (no spaces either) gives overlapping pairs', () => {
    expect(tokenize('สวัสดี')).toHaveLength('สวัสดี'.length - 1);
  });

  it('adds a prefix and stops at the limit', () => {
    expect(tokenize('one two three', { prefix: 's:', limit: 2 })).toEqual(['s:one', 's:two']);
  });
});

describe('parseUrl / baseDomain', () => {
  it.each([
    ['http://www.example.com/path', 'www.example.com', false, false],
    ['http://192.0.2.1/x', '192.0.2.1', true, false],
    ['http://www.bank.com@evil.example/', 'evil.example', false, true],
    ['https://3221225985/', '3221225985', true, false],
    ['www.example.org', 'www.example.org', false, false],
  ])('%s', (url, host, ip, userInfo) => {
    const u = parseUrl(url);
    expect(u).toMatchObject({ host, ipLiteral: ip, userInfo });
  });

  it('ignores other schemes', () => expect(parseUrl('mailto:a@b.c')).toBeUndefined());

  it.each([
    ['mail.example.com', 'example.com'],
    ['www.example.co.jp', 'example.co.jp'],
    ['shop.example.jp', 'example.jp'],
    ['example.com', 'example.com'],
  ])('%s → %s', (host, base) => expect(baseDomain(host)).toBe(base));
});

describe('parseMessage decodes charsets', () => {
  it('ISO-2022-JP subject (encoded word), sender name and body', () => {
    const m = parseMessage(fixture('ham-ja-iso2022jp.eml'));
    expect(m.subject).toBe('来週の打ち合わせについて');
    expect(m.from).toMatchObject({ name: '佐藤', address: 'sato@example.co.jp', domain: 'example.co.jp' });
    expect(m.text).toContain('来週火曜日の打ち合わせの資料を送ります。');
    expect(tokenize(m.subject)).toEqual(['来週', '週の', 'の打', '打ち', 'ち合', '合わ', 'わせ', 'せに', 'につ', 'つい', 'いて']);
  });

  it('Shift_JIS 8-bit HTML, links and images', () => {
    const m = parseMessage(fixture('spam-ja-sjis.eml'));
    expect(m.subject).toBe('【当選】現金10万円プレゼント');
    expect(m.from?.name).toBe('無料プレゼント事務局');
    expect(m.hasHtml && !m.hasTextPlain).toBe(true);
    expect(m.htmlText).toContain('出会い系サイトで素敵な出会いを。');
    expect(m.html.links).toEqual([{ href: 'http://203.0.113.7/r/?id=9', text: 'http://www.example-bank.jp/' }]);
    expect(m.html.images).toBe(1);
  });

  it('EUC-JP quoted-printable and UTF-8 base64 HTML in multipart/alternative', () => {
    const m = parseMessage(fixture('ham-ja-eucjp-qp.eml'));
    expect(m.text.trim()).toBe('日本語のテキスト');
    expect(m.htmlText).toContain('日本語の テキスト & more');
    expect(m.parts.map((p) => [p.contentType, p.charset, p.transferEncoding])).toEqual([
      ['text/plain', 'euc-jp', 'quoted-printable'],
      ['text/html', 'utf-8', 'base64'],
    ]);
  });

  it('skips a leading mbox From line and reads English mail', () => {
    const raw = Buffer.concat([Buffer.from('From someone@example.com  Thu Aug 22 13:17:22 2002\n'), fixture('ham-en.eml')]);
    const m = parseMessage(raw);
    expect(m.subject).toBe("Re: notes from Tuesday's design review");
    expect(m.headers[0].name).toBe('from');
    expect(tokenize(m.text).slice(0, 4)).toEqual(['hi', 'bob', 'thanks', 'for']);
  });

  it('reads the From address outside an encoded or quoted display name that holds another address', () => {
    const b64 = (text: string) => `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
    const from = (value: string) => parseMessage(`From: ${value}\r\nSubject: x\r\n\r\nhi`).from;
    expect(from(`${b64('<partner@good.example>')} <spam@evil.example>`)).toEqual({
      name: '<partner@good.example>',
      address: 'spam@evil.example',
      domain: 'evil.example',
    });
    expect(from(`${b64('Partner "x" <p@good.example>,')} <spam@evil.example>`)?.domain).toBe('evil.example');
    expect(from('"Partner <p@good.example>" <spam@evil.example>')).toMatchObject({ name: 'Partner <p@good.example>', domain: 'evil.example' });
    expect(from('"a \\" <b@c>" <spam@evil.example>')?.address).toBe('spam@evil.example');
    // A list keeps its first address; a bare address and an encoded name in a comment still read as before.
    expect(from('<first@one.example>, <second@two.example>')?.address).toBe('first@one.example');
    expect(from(`plain@one.example (${b64('名前')})`)).toMatchObject({ address: 'plain@one.example', domain: 'one.example' });
  });

  it('notes a multipart without boundary as a defect', () => {
    const m = parseMessage('Content-Type: multipart/mixed\r\n\r\nhello');
    expect(m.defects).toEqual(['missing-boundary']);
  });
});

describe('nonSpaceLength', () => {
  it('counts what /\\s+/ leaves, for every UTF-16 code unit', () => {
    const wrong: number[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const s = 'a' + String.fromCharCode(c) + 'b \t';
      if (nonSpaceLength(s) !== s.replace(/\s+/g, '').length) wrong.push(c);
    }
    expect(wrong).toEqual([]);
  });
});
