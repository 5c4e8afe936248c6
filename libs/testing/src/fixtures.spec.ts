import { simpleParser } from 'mailparser';
import { fixture, fixtureNames, fixturePath } from './index';

describe('fixtures', () => {
  it('lists the hand-written messages', () => {
    expect(fixtureNames()).toEqual([
      'html-only',
      'japanese-iso2022jp',
      'multipart-attachment',
      'plain',
      'with-auth-results',
    ]);
  });

  it.each(fixtureNames())('%s is CRLF mail with a Message-ID that parses', async (name) => {
    const raw = fixture(name);
    expect(raw.includes('\r\n\r\n')).toBe(true);
    expect(/(^|[^\r])\n/.test(raw.toString('latin1'))).toBe(false);
    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toMatch(/^<.+@.+>$/);
    expect(parsed.from?.value[0].address).toContain('@');
  });

  it('decodes the Japanese message', async () => {
    const parsed = await simpleParser(fixture('japanese-iso2022jp'));
    expect(parsed.subject).toBe('会議の件について');
    expect(parsed.text).toContain('来週の会議は水曜日の午後二時からに変更になりました。');
  });

  it('has an attachment in the multipart message and no text part in the HTML one', async () => {
    const multipart = await simpleParser(fixture('multipart-attachment.eml'));
    expect(multipart.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['invoice-2024-0117.pdf', 'application/pdf'],
    ]);
    expect(multipart.text).toContain('€1,240.00');
    const html = await simpleParser(fixture('html-only'));
    expect(html.html).toContain('Spring sale');
    expect(fixture('with-auth-results').toString()).toMatch(/^Authentication-Results: mx\.example\.com;/);
  });

  it('refuses names that leave the folder', () => {
    expect(() => fixturePath('../package.json')).toThrow();
  });
});
