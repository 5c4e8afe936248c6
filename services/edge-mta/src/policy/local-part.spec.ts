import { canonicalLocalPart } from './local-part';

describe('canonicalLocalPart (RFC 5321 §4.1.2)', () => {
  it.each([
    ['"alice"', 'alice'],
    ['"Alice.Smith"', 'Alice.Smith'],
    ['"al\\ice"', 'alice'],
    ['"a+tag"', 'a+tag'],
    ['"送信者"', '送信者'],
  ])('unquotes %s, which needs no quotes, to %s', (given, canonical) => {
    expect(canonicalLocalPart(given)).toBe(canonical);
  });

  it.each(['"al ice"', '"a..b"', '".alice"', '"alice."', '""', '"a\\"b"', '"a@b"'])('keeps %s, which needs its quotes', (given) => {
    expect(canonicalLocalPart(given)).toBe(given);
  });

  it.each(['alice', 'a.b', '"alice', 'al"ice"'])('leaves %s, which is not a quoted string, alone', (given) => {
    expect(canonicalLocalPart(given)).toBe(given);
  });
});
