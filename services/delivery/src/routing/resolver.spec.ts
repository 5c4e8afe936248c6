import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StaticDnsResolver, normaliseRecords } from './resolver';

describe('DNS_OVERRIDES_FILE for delivery', () => {
  const write = (records: unknown) => {
    const file = join(mkdtempSync(join(tmpdir(), 'torii-dns-')), 'dns.json');
    writeFileSync(file, JSON.stringify(records));
    return file;
  };

  it('reads records by name', async () => {
    const dns = StaticDnsResolver.fromFile(write({ 'example.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }] }, 'mx.example.test': { A: ['127.0.0.1'] } }));
    expect(await dns.resolveMx('example.test')).toEqual([{ exchange: 'mx.example.test', priority: 10 }]);
    expect(await dns.resolve4('MX.example.test.')).toEqual(['127.0.0.1']);
    await expect(dns.resolve6('mx.example.test')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(dns.resolve4('nowhere.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('reads the edge’s type-first file too, so one file serves every service', async () => {
    const dns = StaticDnsResolver.fromFile(
      write({ PTR: { '127.0.0.1': ['localhost'] }, A: { localhost: ['127.0.0.1'], 'MX.Example.test': ['127.0.0.2'] }, MX: { 'example.test': [{ exchange: 'mx.example.test', priority: 5 }] } }),
    );
    expect(await dns.resolveMx('example.test')).toEqual([{ exchange: 'mx.example.test', priority: 5 }]);
    expect(await dns.resolve4('mx.example.test')).toEqual(['127.0.0.2']);
    expect(await dns.resolve4('localhost')).toEqual(['127.0.0.1']);
  });

  it('leaves a by-name file alone even when a host is called like a record type', () => {
    const byName = { 'a.example': { A: ['192.0.2.1'] }, mx: { A: ['192.0.2.2'] } };
    expect(normaliseRecords(byName)).toBe(byName);
  });
});
