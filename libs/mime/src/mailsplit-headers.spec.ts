import { Headers } from 'mailsplit';
import { linearMailsplitHeaders, mailsplitParseHeaders } from './mailsplit-headers';

/** What a Headers object holds after parsing `text` with `parse` installed. */
function parsed(text: string, parse: () => void): { lines: unknown; mbox?: string; http?: string } {
  const proto = Headers.prototype as unknown as { _parseHeaders: () => void };
  const before = proto._parseHeaders;
  proto._parseHeaders = parse;
  try {
    const h = new Headers(Buffer.from(text, 'binary')) as unknown as { lines: unknown; mbox?: string; http?: string; getList(): unknown };
    h.getList();
    return { lines: h.lines, mbox: h.mbox, http: h.http };
  } finally {
    proto._parseHeaders = before;
  }
}

describe('linear mailsplit header parse', () => {
  linearMailsplitHeaders();
  const linear = (Headers.prototype as unknown as { _parseHeaders: () => void })._parseHeaders;

  it.each([
    ['plain', 'Subject: hi\r\nFrom: a@b.example\r\nTo: c@d.example\r\n\r\n'],
    ['folded lines, tabs and spaces', 'Subject: a\r\n b\r\n\tc\r\nTo: x@y.example,\r\n  z@y.example\r\n\r\n'],
    ['an mbox From line, folded', 'From a@b Mon Dec  7 00:00:00 2026\r\n continued\r\nSubject: x\r\n\r\n'],
    ['a POST line', 'POST /x HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['a first line that starts with a space', ' leading\r\nSubject: x\r\n'],
    ['bare LF, no colon, empty lines at the end', 'Subject: x\nnot-a-header\n X-Y: z\n\n\n'],
    ['runs of empty folded lines', 'X-Big: x' + '\r\n '.repeat(500) + '\r\nSubject: after\r\n'],
    ['bare CRs inside a line and at the end', 'X-Cr: a' + '\r'.repeat(300) + 'b\r\nSubject: s\r\r\n\r\r'],
    ['empty', ''],
  ])('parses %s as mailsplit does', (_name, text) => {
    expect(parsed(text, linear)).toEqual(parsed(text, mailsplitParseHeaders));
  });

  it('reads a header line of 250,000 carriage returns in one pass (mailsplit retried the run from every CR)', () => {
    const { lines } = parsed('X-Cr: a' + '\r'.repeat(250_000) + 'b\r\n\r\n', linear) as { lines: { key: string; line: string }[] };
    expect(lines.map((l) => [l.key, l.line.length])).toEqual([['x-cr', 250_008]]);
  });

  it('parses 85,000 folded lines (a 255 KiB header) into one field, as mailsplit would', () => {
    const text = 'X-Big: x' + '\r\n '.repeat(85_000) + '\r\nSubject: after\r\n';
    const { lines } = parsed(text, linear) as { lines: { key: string; line: string }[] };
    expect(lines.map((l) => l.key)).toEqual(['x-big', 'subject']);
    expect(lines[0].line.split('\r\n')).toHaveLength(85_001);
  });
});
