import { ContractValueError, DIRECTORY_BUCKET, directoryKey } from './index';

describe('directoryKey', () => {
  it.each([
    ['Tenant.Example', 'tenant.example'],
    ['tenant.example.', 'tenant.example'],
    [' sub-1.tenant.example ', 'sub-1.tenant.example'],
  ])('%s → %s', (domain, key) => {
    expect(directoryKey(domain)).toBe(key);
  });

  it.each(['', '[192.0.2.1]', 'bücher.example', '*.example', 'a..b', '-a.example', 'a/b'])(
    'refuses "%s"',
    (domain) => {
      expect(() => directoryKey(domain)).toThrow(ContractValueError);
    },
  );

  it('names the bucket', () => {
    expect(DIRECTORY_BUCKET).toBe('directory');
  });
});
