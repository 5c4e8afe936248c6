import { newMessageId } from './message-id';

describe('newMessageId', () => {
  it('is 26 Crockford base32 characters', () => {
    expect(newMessageId()).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('sorts by time', () => {
    const ids = [newMessageId(1_000), newMessageId(2_000), newMessageId(1_700_000_000_000)];
    expect([...ids].sort()).toEqual(ids);
  });

  it('encodes the time as a ULID does', () => {
    expect(newMessageId(1_469_918_176_385).slice(0, 10)).toBe('01ARYZ6S41');
  });

  it('does not repeat', () => {
    expect(new Set(Array.from({ length: 1000 }, () => newMessageId(5))).size).toBe(1000);
  });
});
