import { InvalidObjectKeyError, assertValidKey, messageKey, messagePrefix, parseMessageKey, sidecarKey, submitKey } from './index';

describe('messageKey', () => {
  it.each([
    ['t1', '2024-03-07T23:59:59Z', 'm1', 'mail/t1/2024/03/07/m1.eml'],
    ['acme-co', '2024-12-31T00:00:00Z', '01HXYZ_abc', 'mail/acme-co/2024/12/31/01HXYZ_abc.eml'],
    // the day is UTC, whatever the offset the date was written with
    ['t1', '2024-01-01T08:30:00+09:00', 'm2', 'mail/t1/2023/12/31/m2.eml'],
  ])('%s %s %s → %s', (tenantId, date, messageId, key) => {
    expect(messageKey({ tenantId, receivedAt: new Date(date), messageId })).toBe(key);
    expect(parseMessageKey(key)).toEqual({ tenantId, messageId, receivedAt: new Date(dayOf(key)) });
  });

  it.each([
    ['../etc', 'm1'],
    ['t/1', 'm1'],
    ['t1', 'a.b'],
    ['t1', ''],
    ['', 'm1'],
  ])('refuses tenant %j message %j', (tenantId, messageId) => {
    expect(() => messageKey({ tenantId, receivedAt: new Date(), messageId })).toThrow(InvalidObjectKeyError);
  });

  it('refuses an invalid date', () => {
    expect(() => messageKey({ tenantId: 't', receivedAt: new Date('nope'), messageId: 'm' })).toThrow(
      InvalidObjectKeyError,
    );
  });

  it('gives the prefix of a tenant and of a day', () => {
    expect(messagePrefix('t1')).toBe('mail/t1/');
    expect(messagePrefix('t1', new Date('2024-02-09T12:00:00Z'))).toBe('mail/t1/2024/02/09/');
  });
});

describe('parseMessageKey', () => {
  it.each([
    'mail/t1/2024/02/30/m1.eml', // no such day
    'mail/t1/2024/2/03/m1.eml',
    'mail/t1/2024/02/03/m1.txt',
    'mail/t1/2024/02/03/sub/m1.eml',
    'other/t1/2024/02/03/m1.eml',
    '',
  ])('%j is not a message key', (key) => expect(parseMessageKey(key)).toBeNull());
});

describe('assertValidKey', () => {
  it.each(['a', 'mail/t/2024/01/01/x.eml', 'a..b', 'dir/'])('accepts %j', (key) =>
    expect(() => assertValidKey(key)).not.toThrow(),
  );
  it.each(['', '/abs', '../x', 'a/../b', 'a/./b', 'a\\b', 'a\nb', 'x'.repeat(1025)])('refuses %j', (key) =>
    expect(() => assertValidKey(key)).toThrow(InvalidObjectKeyError),
  );
});

function dayOf(key: string): number {
  const [, , yyyy, mm, dd] = key.split('/');
  return Date.UTC(Number(yyyy), Number(mm) - 1, Number(dd));
}

describe('sidecarKey', () => {
  it('puts the event beside the message', () => {
    expect(sidecarKey('mail/t1/2026/11/28/01ABC.eml')).toBe('mail/t1/2026/11/28/01ABC.json');
  });
  it('refuses a key that is not a message', () => {
    expect(() => sidecarKey('mail/t1/2026/11/28/01ABC.json')).toThrow(/not a message key/);
  });
});

describe('submitKey', () => {
  it('files a submission by tenant and UTC day', () => {
    expect(submitKey({ tenantId: 't1', submittedAt: new Date('2026-01-01T08:30:00+09:00'), submitId: 'dsn-01ABC-7' })).toBe(
      'submit/t1/2025/12/31/dsn-01ABC-7.eml',
    );
  });
  it('takes ids longer than a message id (purpose, id and address)', () => {
    const submitId = `quarantine-warning-01ABC-${'a'.repeat(300)}examplecom`;
    expect(submitKey({ tenantId: 't1', submittedAt: new Date('2026-11-28T00:00:00Z'), submitId })).toBe(`submit/t1/2026/11/28/${submitId}.eml`);
  });
  it.each([
    ['t/1', 'x'],
    ['t1', '../x'],
    ['t1', 'a.b'],
    ['t1', ''],
    ['t1', 'x'.repeat(513)],
  ])('refuses tenant %j id %j', (tenantId, submitId) => {
    expect(() => submitKey({ tenantId, submittedAt: new Date(), submitId })).toThrow(InvalidObjectKeyError);
  });
});
