import { DEFAULT_MODEL_PATH, SpamEngine } from '@torii/spam-engine';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeFeature, readStoredReasons, storedReasons } from './reasons';

describe('describeFeature', () => {
  it.each([
    ['s:free', 'Subject word "free"'],
    ['fd:mail.example.com', 'sender domain mail.example.com'],
    ['u:ip', 'link to a bare IP address'],
    ['u:example.com', 'link to example.com'],
    ['cte:base64', "a part's transfer encoding: base64"],
    ['ct:text/html', 'a part of type text/html'],
    ['ho:^>from', 'header field order: first from'],
    ['ho:subject>date', 'header field order: subject, then date'],
    ['ho:date>$', 'header field order: date last'],
    ['n:to:0', 'no recipients'],
    ['n:to:1', '1 recipients'],
    ['n:links:3', '4–7 HTML links'],
    ['n:text:0', 'almost no text'],
    ['n:text:2', 'about 128–192 characters of text'],
    ['x:caps:10', 'half the letters or more in capitals'],
    ['x:caps:3', '15–20% of the letters in capitals'],
    ['x:msgid-from:false', "Message-ID in the sender's domain: no"],
    ['x:links-from:some', "links in the sender's domain: some"],
    ['x:runs', 'runs of "!!!", "???" or "$$$"'],
    ['grams', 'character patterns of the raw message'],
    ['viagra', 'word in the text: "viagra"'],
    ['act now', 'words in the text: "act now"'],
    ['long:deatht this', 'words in the text: "deatht… this"'],
    ['s:long:abcdef', 'Subject word "abcdef…"'],
    ['s:act now', 'Subject words "act now"'],
    ['zz:new', 'message feature zz:new'],
  ])('%s → %s', (feature, description) => {
    expect(describeFeature(feature)).toBe(description);
  });

  it('knows every kind of token the shipped model gives as a reason for the fixtures (none falls back)', () => {
    const engine = SpamEngine.load();
    const fixtures = join(dirname(DEFAULT_MODEL_PATH), '..', 'fixtures');
    const seen = new Set<string>();
    for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.eml'))) {
      const verdict = engine.score({ message: readFileSync(join(fixtures, name)) }, { reasons: 40 });
      for (const r of [...verdict.reasons.spam, ...verdict.reasons.ham]) {
        seen.add(r.feature);
        expect([r.feature, describeFeature(r.feature)]).not.toEqual([r.feature, expect.stringMatching(/^message feature /)]);
      }
    }
    expect(seen.size).toBeGreaterThan(100);
  });
});

describe('stored reasons', () => {
  it('keep every reason with a description, and read back; a row from before has none', () => {
    const verdict = SpamEngine.load().score({ message: 'Subject: FREE money!!!\r\nContent-Type: text/html\r\n\r\n<a href="http://192.0.2.1/">click</a>' });
    const stored = storedReasons(verdict);
    expect(stored.spam.length + stored.ham.length).toBeGreaterThan(0);
    for (const r of [...stored.spam, ...stored.ham]) expect(r.description.length).toBeGreaterThan(0);
    expect(stored.rules).toEqual(verdict.rules);
    expect(readStoredReasons(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
    expect(readStoredReasons({})).toEqual({ spam: [], ham: [], rules: [] });
  });
});
