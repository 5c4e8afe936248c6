import { simpleParser } from 'mailparser';
import { Readable } from 'node:stream';
import { stripInfectedParts } from './part-stripper';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const raw = [
  'From: <a@x.test>',
  'To: <b@t.test>',
  'Subject: parts',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="BB"',
  '',
  '--BB',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello body.',
  '--BB',
  'Content-Type: application/octet-stream; name="eicar.com"',
  'Content-Disposition: attachment; filename="eicar.com"',
  'Content-Transfer-Encoding: base64',
  '',
  b64(EICAR),
  '--BB',
  'Content-Type: application/pdf; name="report.pdf"',
  'Content-Disposition: attachment; filename="report.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  b64('%PDF-1.4 clean report'),
  '--BB--',
  '',
].join('\r\n');

async function run(input: string, parts: { part: string; filename: string; signature: string }[]): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stripInfectedParts(Readable.from([Buffer.from(input)]), parts, 'Torii')) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('stripInfectedParts', () => {
  it('passes a message byte for byte when nothing is stripped', async () => {
    expect(await run(raw, [])).toBe(raw);
  });

  it('replaces the infected attachment by a valid notice part; the others are untouched', async () => {
    const out = await run(raw, [{ part: '2', filename: 'eicar.com', signature: 'Eicar-Signature' }]);
    expect(out).not.toContain(b64(EICAR));
    expect(out).toContain(['--BB', 'Content-Type: application/pdf; name="report.pdf"', 'Content-Disposition: attachment; filename="report.pdf"', 'Content-Transfer-Encoding: base64', '', b64('%PDF-1.4 clean report'), '--BB--'].join('\r\n'));
    expect(out.startsWith(raw.slice(0, raw.indexOf('--BB\r\nContent-Type: application/octet-stream')))).toBe(true);
    const parsed = await simpleParser(out);
    expect(parsed.text).toContain('Hello body.');
    expect(parsed.text).toContain('Torii removed the attachment "eicar.com": a virus was found in it (Eicar-Signature).');
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['report.pdf']);
  });
});
