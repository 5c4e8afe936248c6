import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileResolver, reverseNames } from './resolver';

describe('fileResolver and reverseNames', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'edge-dns-')), 'dns.json');
  writeFileSync(
    path,
    JSON.stringify({
      PTR: { '127.0.0.2': ['MX.Acme.Test.'], '127.0.0.3': ['spoof.acme.test'] },
      A: { 'mx.acme.test': ['127.0.0.2'], 'spoof.acme.test': ['127.0.0.9'] },
    }),
  );
  const resolve = fileResolver(path);

  it('answers from the file, case-insensitively', async () => {
    await expect(resolve('mx.acme.test.', 'a')).resolves.toEqual(['127.0.0.2']);
  });

  it('answers ENOTFOUND for anything else', async () => {
    await expect(resolve('example.com', 'MX')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it.each([
    ['127.0.0.2', true, ['MX.Acme.Test.']],
    ['127.0.0.3', true, []],
    ['127.0.0.3', false, ['spoof.acme.test']],
    ['127.0.0.4', true, []],
  ])('reverse names of %s (forward-confirmed: %s)', async (ip, confirm, expected) => {
    await expect(reverseNames(resolve, ip, confirm)).resolves.toEqual(expected);
  });
});
