import { isMessageId, messageIdTime, newMessageId } from './index';

describe('newMessageId', () => {
  it('makes 26-character ULIDs that carry their creation time', () => {
    const id = newMessageId(1_767_323_045_678);
    expect(id).toHaveLength(26);
    expect(isMessageId(id)).toBe(true);
    expect(messageIdTime(id)).toBe(1_767_323_045_678);
  });

  it('sorts by time', () => {
    const ids = [3, 1, 2].map((n) => newMessageId(1_700_000_000_000 + n * 1000));
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0]]);
  });

  it('does not repeat', () => {
    const now = Date.now();
    expect(new Set(Array.from({ length: 1000 }, () => newMessageId(now))).size).toBe(1000);
  });

  it.each([
    '',
    '01JGZ8',
    'lowercase0000000000000000a',
    '8ZZZZZZZZZZZZZZZZZZZZZZZZZ',
    '01JGZ8Y6Q4V3K2M1N0P9R8S7TU',
  ])('isMessageId("%s") is false', (value) => {
    expect(isMessageId(value)).toBe(false);
  });

  it('refuses a time ULIDs cannot hold', () => {
    expect(() => newMessageId(-1)).toThrow(RangeError);
    expect(() => newMessageId(2 ** 48)).toThrow(RangeError);
  });
});
