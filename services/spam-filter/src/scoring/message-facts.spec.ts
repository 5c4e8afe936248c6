import { parseMessage } from '@torii/spam-engine';
import { displaySender, fromAddressesOf, listSubject } from './message-facts';

// 「迷惑テストのお知らせ」 as bytes (iconv-lite's encodings).
const SJIS = Buffer.from('96c0986683658358836782cc82a8926d82e782b9', 'hex');
const EUCJP = Buffer.from('ccc2cfc7a5c6a5b9a5c8a4cea4aac3cea4e9a4bb', 'hex');
const TEXT = '迷惑テストのお知らせ';

/** A message whose Subject field holds `subject` (bytes as they are) and whose text part declares `charset`. */
function message(subject: Buffer | string, contentType = 'text/plain; charset=us-ascii'): Buffer {
  return Buffer.concat([
    Buffer.from('From: a@sender.example\r\nSubject: ', 'latin1'),
    Buffer.isBuffer(subject) ? subject : Buffer.from(subject, 'utf8'),
    Buffer.from(`\r\nMIME-Version: 1.0\r\nContent-Type: ${contentType}\r\n\r\nbody\r\n`, 'latin1'),
  ]);
}

const multipart = (subject: Buffer, charset: string): Buffer =>
  Buffer.concat([
    Buffer.from('From: a@sender.example\r\nSubject: ', 'latin1'),
    subject,
    Buffer.from(
      '\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/pdf\r\n\r\nx\r\n' +
        `--b\r\nContent-Type: text/plain; charset=${charset}\r\n\r\nbody\r\n--b--\r\n`,
      'latin1',
    ),
  ]);

const subjectOf = (raw: Buffer) => listSubject(raw, parseMessage(raw));

describe('listSubject: the Subject the lists see, in any charset', () => {
  it.each([
    ['raw Shift_JIS, the text part declares it', message(SJIS, 'text/plain; charset=Shift_JIS'), TEXT],
    ['raw Shift_JIS, declared cp932 (an alias TextDecoder lacks)', message(SJIS, 'text/plain; charset=cp932'), TEXT],
    ['raw Shift_JIS, undeclared (us-ascii): detected', message(SJIS), TEXT],
    ['raw EUC-JP, the text part declares it', message(EUCJP, 'text/plain; charset="euc-jp"'), TEXT],
    ['raw EUC-JP, undeclared: detected (not read as half-width kana)', message(EUCJP), TEXT],
    ['raw EUC-JP, a multipart whose first text part declares it', multipart(EUCJP, 'euc-jp'), TEXT],
    ['raw Shift_JIS, declared utf-8 (wrong): detected', message(SJIS, 'text/plain; charset=utf-8'), TEXT],
    ['raw latin1, declared iso-8859-1', message(Buffer.from('caf\xe9 cr\xe8me', 'latin1'), 'text/plain; charset=iso-8859-1'), 'café crème'],
    ['raw UTF-8 (the engine decodes it)', message(TEXT), TEXT],
    ['encoded ISO-2022-JP', message('=?ISO-2022-JP?B?GyRCTEJPRyVGJTklSCROJCpDTiRpJDsbKEI=?='), TEXT],
    ['encoded UTF-8 Q', message('=?UTF-8?Q?=E8=BF=B7=E6=83=91=E3=83=86=E3=82=B9=E3=83=88?='), '迷惑テスト'],
    ['raw ISO-2022-JP (escape sequences, no encoded word)', message(Buffer.from('\x1b$BL$>5Bz9-9p$G$9\x1b(B [1]', 'latin1')), '未承諾広告です [1]'],
    ['raw ISO-2022-JP, two pieces joined (an escape straight after another)', message(Buffer.from('\x1b$BL$>5Bz9-9p\x1b(B\x1b$B$G$9\x1b(B', 'latin1')), '未承諾広告です'],
    ['ASCII', message('Hello there'), 'Hello there'],
  ])('%s', (_name, raw, expected) => {
    expect(subjectOf(raw)).toBe(expected);
  });

  it('a folded raw Subject is read whole', () => {
    const raw = Buffer.concat([Buffer.from('Subject: ', 'latin1'), SJIS.subarray(0, 10), Buffer.from('\r\n ', 'latin1'), SJIS.subarray(10), Buffer.from('\r\n\r\nbody\r\n', 'latin1')]);
    expect(subjectOf(raw)).toBe('迷惑テスト のお知らせ');
  });
});

describe('fromAddressesOf: every From address', () => {
  const fromOf = (...fields: string[]) => fromAddressesOf(parseMessage(`${fields.map((f) => `From: ${f}\r\n`).join('')}Subject: x\r\n\r\nbody\r\n`));
  it.each([
    ['one', ['"Best Deals" <Offers@Cheap.example>'], ['offers@cheap.example']],
    ['a list', ['good@good.example, spam@evil.example'], ['good@good.example', 'spam@evil.example']],
    ['two From fields', ['good@good.example', 'spam@evil.example'], ['good@good.example', 'spam@evil.example']],
    ['a group', ['friends: a@x.example, b@y.example;'], ['a@x.example', 'b@y.example']],
    ['a quoted local part (kept: the lists normalise it)', ['<"spam"@evil.example>'], ['"spam"@evil.example']],
    ['a comma in a quoted display name', ['"Smith, John" <j@x.example>'], ['j@x.example']],
    [
      'an encoded display name that decodes to another address does not pose as the address',
      ['=?utf-8?B?PGJvc3NAcGFydG5lci5leGFtcGxlPg==?= <spam@evil.example>'],
      ['spam@evil.example'],
    ],
    ['no address', ['undisclosed'], []],
    ['the same address twice is one', ['a@x.example, A@X.example'], ['a@x.example']],
  ])('%s', (_name, fields, expected) => {
    expect(fromOf(...fields)).toEqual(expected);
  });
});

describe('displaySender: the quarantine box\'s sender, its name decoded in any form', () => {
  /** A message whose From field holds `from` (bytes as they are). */
  const withFrom = (from: Buffer | string, contentType = 'text/plain; charset=us-ascii') =>
    Buffer.concat([Buffer.from('From: ', 'latin1'), Buffer.isBuffer(from) ? from : Buffer.from(from, 'utf8'), Buffer.from(`\r\nSubject: x\r\nContent-Type: ${contentType}\r\n\r\nbody\r\n`, 'latin1')]);
  const senderOf = (raw: Buffer) => displaySender(raw, parseMessage(raw));
  // 「山田太郎」 as raw ISO-2022-JP and as raw Shift_JIS.
  const JIS = Buffer.from('\x1b$B;3EDB@O:\x1b(B', 'latin1');
  const SJIS_NAME = Buffer.from('8e52936391be9859', 'hex');

  it.each([
    ['a raw ISO-2022-JP name', withFrom(Buffer.concat([JIS, Buffer.from(' <taro@example.jp>')])), '山田太郎 <taro@example.jp>'],
    ['a raw Shift_JIS name', withFrom(Buffer.concat([SJIS_NAME, Buffer.from(' <taro@example.jp>')]), 'text/plain; charset=Shift_JIS'), '山田太郎 <taro@example.jp>'],
    ['an encoded-word name (the engine decodes it)', withFrom('=?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>'), '山田太郎 <taro@example.jp>'],
    ['a raw UTF-8 name', withFrom('山田太郎 <taro@example.jp>'), '山田太郎 <taro@example.jp>'],
    ['an address alone', withFrom('taro@example.jp'), 'taro@example.jp'],
  ])('%s', (_name, raw, expected) => {
    expect(senderOf(raw)).toBe(expected);
  });

  it('never shows an address other than the one the engine judged (7-bit kanji bytes that read as an address)', () => {
    // The engine reads <a@bb.cc> inside the escaped run; decoded, that run is kanji and <boss@example.jp> follows.
    const raw = withFrom(Buffer.from('\x1b$B<a@bb.cc>A\x1b(B <boss@example.jp>', 'latin1'));
    const engine = parseMessage(raw).from?.address;
    expect(senderOf(raw)).toMatch(new RegExp(`<${engine!.replace(/[.]/g, '\\.')}>$|^${engine!.replace(/[.]/g, '\\.')}$`));
    expect(senderOf(raw)).not.toContain('boss@example.jp');
  });

  it('is undefined without a From address', () => {
    expect(senderOf(Buffer.from('Subject: x\r\n\r\nbody\r\n'))).toBeUndefined();
  });
});
