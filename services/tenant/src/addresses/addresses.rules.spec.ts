import { checkLocalPart, classifyImport, localPartOf, withinAddressLimit } from './addresses.rules';

describe('checkLocalPart (P3)', () => {
  it.each(['alice', 'Bob', 'first.last', 'a-b_c', 'x!y', 'a&b', 'a=b', 'tilde~', '0', 'a'.repeat(64)])('%j is accepted', (input) => {
    expect(checkLocalPart(input)).toEqual({ ok: true, localPart: input.toLowerCase() });
  });

  it.each([
    ['#', 'a#b'],
    ['%', 'a%b'],
    ["'", "o'brien"],
    ['*', 'a*b'],
    ['+', 'alice+tag'],
    ['/', 'a/b'],
    ['?', 'a?b'],
    ['^', 'a^b'],
    ['`', 'a`b'],
    ['{', 'a{b'],
    ['|', 'a|b'],
    ['$', 'a$b'],
    ['}', 'a}b'],
    ['\\', 'a\\b'],
  ])('refuses "%s" (%j) with invalid-local-part', (char, input) => {
    const result = checkLocalPart(input);
    expect(result).toMatchObject({ ok: false, code: 'invalid-local-part' });
    expect(!result.ok && result.detail).toContain(`"${char}"`);
  });

  it.each(['', ' ', 'ünïcode', 'a b', '.alice', 'alice.', 'a..b', '"quoted"', 'a@b', 'a(b)', 'a'.repeat(65)])('%j is invalid', (input) => {
    expect(checkLocalPart(input)).toMatchObject({ ok: false, code: 'invalid-local-part' });
  });
});

describe('localPartOf', () => {
  it.each([
    ['alice', 'demo.example', 'alice'],
    ['Alice@Demo.Example', 'demo.example', 'alice'],
    ['alice@other.example', 'demo.example', undefined],
  ])('%j in %s → %s', (input, domain, expected) => {
    const result = localPartOf(input, domain);
    expect(result.ok ? result.localPart : undefined).toBe(expected);
  });
});

describe('withinAddressLimit (P3)', () => {
  it.each([
    [0, 10, 10, true],
    [9, 1, 10, true],
    [10, 1, 10, false],
    [5, 6, 10, false],
    [0, 0, 10, true],
  ])('%d existing + %d new under plan %d → %s', (current, adding, plan, ok) => {
    expect(withinAddressLimit(current, adding, plan)).toBe(ok);
  });
});

describe('classifyImport', () => {
  it('reports each line as created, duplicate or invalid', () => {
    const rows = [['address', 'kind'], ['alice'], ['bob@demo.example', 'list'], ['carol', 'group'], ['a+b'], ['ALICE'], ['dave'], ['', ''], ['x@other.example']];
    const report = classifyImport(rows, 'demo.example', new Set(['dave']));
    expect(report.map((r) => [r.line, r.outcome, r.localPart, r.kind])).toEqual([
      [2, 'created', 'alice', 'mailbox'],
      [3, 'created', 'bob', 'list'],
      [4, 'invalid', undefined, undefined],
      [5, 'invalid', undefined, undefined],
      [6, 'duplicate', 'alice', 'mailbox'],
      [7, 'duplicate', 'dave', 'mailbox'],
      [9, 'invalid', undefined, undefined],
    ]);
  });
});
