import { DEV_INTERNAL_TOKEN, InternalTokenMissingError, internalTokenMatches, resolveInternalToken } from './internal';

describe('resolveInternalToken', () => {
  const real = 'k'.repeat(40);
  it.each([
    [{}, DEV_INTERNAL_TOKEN],
    [{ NODE_ENV: 'development' }, DEV_INTERNAL_TOKEN],
    [{ NODE_ENV: 'test', INTERNAL_TOKEN: 'short' }, 'short'],
    [{ NODE_ENV: 'production', INTERNAL_TOKEN: real }, real],
  ])('%j gives the token to use', (env, expected) => {
    expect(resolveInternalToken(env)).toBe(expected);
  });

  it.each([{ NODE_ENV: 'production' }, { NODE_ENV: 'production', INTERNAL_TOKEN: '' }, { NODE_ENV: 'production', INTERNAL_TOKEN: DEV_INTERNAL_TOKEN }, { NODE_ENV: 'production', INTERNAL_TOKEN: 'x'.repeat(31) }])(
    'refuses production with %j',
    (env) => {
      expect(() => resolveInternalToken(env)).toThrow(InternalTokenMissingError);
    },
  );
});

describe('internalTokenMatches', () => {
  it('matches only the same token', () => {
    expect(internalTokenMatches('a-token', 'a-token')).toBe(true);
    expect(internalTokenMatches('a-token ', 'a-token')).toBe(false);
    expect(internalTokenMatches('', 'a-token')).toBe(false);
    expect(internalTokenMatches(undefined, 'a-token')).toBe(false);
  });
});
