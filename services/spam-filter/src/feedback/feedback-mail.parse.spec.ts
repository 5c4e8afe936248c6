import { attachedMessages, toriiIds } from './feedback-mail.parse';

const ID = '01KBX3J5S8Q4M2N7P9R0T6V1W3';
const OTHER = '01KBX3J5S8Q4M2N7P9R0T6V1W4';
const ours = (id: string) =>
  `Received: from mx.sender.test (mx.sender.test [192.0.2.7])\r\n\tby gw.torii.test (Torii) with ESMTPS id ${id}\r\n\t(TLSv1.3 TLS_AES_256_GCM_SHA384)\r\n\tfor <alice@a.test>;\r\n\tMon, 7 Dec 2026 10:00:00 +0000`;
const delivered = (id: string) => `${ours(id)}\r\nFrom: <spammer@sender.test>\r\nSubject: watches\r\n\r\nBuy now.\r\n`;

function forward(parts: string[], boundary = 'b1'): Buffer {
  const body = parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`;
  return Buffer.from(`From: alice@a.test\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n${body}`, 'latin1');
}
const text = 'Content-Type: text/plain\r\n\r\nThis got through.';
const rfc822 = (message: string, extra = '') => `Content-Type: message/rfc822${extra}\r\n\r\n${message}`;

describe('attachedMessages', () => {
  const cases: [string, Buffer, string[][]][] = [
    ['a forward with the delivered copy attached', forward([text, rfc822(delivered(ID))]), [[ID]]],
    ['two attachments, in order', forward([rfc822(delivered(ID)), rfc822(delivered(OTHER))]), [[ID], [OTHER]]],
    [
      'an attachment in base64',
      forward([`Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(delivered(ID)).toString('base64').replace(/(.{76})/g, '$1\r\n')}`]),
      [[ID]],
    ],
    ['an .eml sent as octet-stream', forward([`Content-Type: application/octet-stream; name="x.eml"\r\nContent-Disposition: attachment; filename="spam.EML"\r\n\r\n${delivered(ID)}`]), [[ID]]],
    ['a nested multipart (a client that wraps the forward)', forward([`Content-Type: multipart/mixed; boundary=inner\r\n\r\n--inner\r\n${text}\r\n--inner\r\n${rfc822(delivered(ID))}\r\n--inner--`]), [[ID]]],
    ['an attached message that never passed Torii', forward([rfc822('Received: from a by b with ESMTP id 123;\r\n\tMon, 7 Dec 2026\r\nSubject: x\r\n\r\nhi')]), [[]]],
    ['an inline forward (no attachment): not read', Buffer.from(`Subject: Fwd\r\n\r\n---------- Forwarded message ---------\r\n${delivered(ID)}`), []],
    ['a report that is itself a delivered copy: its own headers are not an attachment', Buffer.from(delivered(ID)), []],
    ['a multipart without a boundary', Buffer.from('Content-Type: multipart/mixed\r\n\r\n--x\r\nhi'), []],
    ['LF line ends', Buffer.from(forward([rfc822(delivered(ID))]).toString('latin1').replace(/\r\n/g, '\n'), 'latin1'), [[ID]]],
  ];

  it.each(cases)('%s', (_name, raw, expected) => {
    expect(attachedMessages(raw).map((m) => m.ids)).toEqual(expected);
  });

  it('reads a report cut short (no closing boundary)', () => {
    const cut = forward([text, rfc822(delivered(ID))]).toString('latin1').replace(/--b1--\r\n$/, '');
    expect(attachedMessages(Buffer.from(cut, 'latin1')).map((m) => m.ids)).toEqual([[ID]]);
  });
});

describe('toriiIds', () => {
  it('lists our ids topmost first, once each, and ignores hops of other servers', () => {
    const message = `Received: from x by mail.a.test (Postfix) with ESMTP id 4XyZ;\r\n\tMon, 7 Dec 2026\r\n${ours(OTHER)}\r\n${ours(ID)}\r\n${ours(OTHER)}\r\nSubject: x\r\n\r\nbody ${ours(ID)}`;
    expect(toriiIds(message)).toEqual([OTHER, ID]);
  });

  it('takes an id in lower case and refuses what is no message id', () => {
    expect(toriiIds(`${ours(ID.toLowerCase())}\r\n\r\n`)).toEqual([ID]);
    expect(toriiIds(`${ours('U'.repeat(26))}\r\n\r\n`)).toEqual([]);
    expect(toriiIds(`${ours(`${ID}X`)}\r\n\r\n`)).toEqual([]);
  });
});
