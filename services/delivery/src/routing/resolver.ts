import { readFileSync } from 'node:fs';
import { Resolver as NodeResolver } from 'node:dns/promises';
import { isIP } from 'node:net';

/** The DNS lookups delivery needs; node's resolver in production, records from a file or a map in tests. */
export interface DnsResolver {
  resolveMx(name: string): Promise<{ exchange: string; priority: number }[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export const DNS_RESOLVER = Symbol('DNS_RESOLVER');

/**
 * Records by name, e.g. `{ "example.test": { "MX": [{ "exchange": "mx.example.test", "priority": 10 }] },
 * "mx.example.test": { "A": ["127.0.0.1"] } }`. A name that is absent answers ENOTFOUND; a name present
 * without the asked type answers ENODATA, like a real resolver.
 */
export type DnsRecords = Record<string, { MX?: { exchange: string; priority: number }[]; A?: string[]; AAAA?: string[] }>;

export class StaticDnsResolver implements DnsResolver {
  constructor(private readonly records: DnsRecords) {}

  /**
   * The file of `DNS_OVERRIDES_FILE`: records by name (above), or by type first as the edge reads the same file
   * (`{"MX": {"example.test": [...]}, "A": {...}, "PTR": {...}}`), so one file serves every service.
   */
  static fromFile(path: string): StaticDnsResolver {
    return new StaticDnsResolver(normaliseRecords(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>));
  }

  private lookup<K extends 'MX' | 'A' | 'AAAA'>(name: string, type: K): NonNullable<DnsRecords[string][K]> {
    const entry = this.records[name.toLowerCase().replace(/\.$/, '')];
    if (!entry) throw Object.assign(new Error(`${type} ${name}: ENOTFOUND`), { code: 'ENOTFOUND' });
    const values = entry[type];
    if (!values) throw Object.assign(new Error(`${type} ${name}: ENODATA`), { code: 'ENODATA' });
    return values as NonNullable<DnsRecords[string][K]>;
  }

  async resolveMx(name: string) {
    return this.lookup(name, 'MX');
  }
  async resolve4(name: string) {
    return this.lookup(name, 'A');
  }
  async resolve6(name: string) {
    return this.lookup(name, 'AAAA');
  }
}

const RECORD_TYPES = new Set(['A', 'AAAA', 'MX', 'PTR', 'TXT', 'CNAME', 'NS']);

/** Type-first records (every top-level key a record type) turned into records by name; by name as it is. */
export function normaliseRecords(raw: Record<string, unknown>): DnsRecords {
  const keys = Object.keys(raw);
  if (keys.length === 0 || !keys.every((k) => RECORD_TYPES.has(k.toUpperCase()))) return raw as DnsRecords;
  const byName: Record<string, Record<string, unknown>> = {};
  for (const [type, names] of Object.entries(raw as Record<string, Record<string, unknown>>)) {
    for (const [name, values] of Object.entries(names ?? {})) {
      const key = name.toLowerCase().replace(/\.$/, '');
      (byName[key] ??= {})[type.toUpperCase()] = values;
    }
  }
  return byName as DnsRecords;
}

export function systemResolver(servers: string[], timeoutMs = 5_000): DnsResolver {
  const resolver = new NodeResolver({ timeout: timeoutMs, tries: 2 });
  if (servers.length) resolver.setServers(servers);
  return resolver;
}

export function dnsErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** IPv4 then IPv6 addresses of a host (an IP literal stands for itself). Empty when it has none. */
export async function addressesOf(resolver: DnsResolver, host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  const settle = async (lookup: Promise<string[]>) => {
    try {
      return await lookup;
    } catch (error) {
      const code = dnsErrorCode(error);
      if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
      throw error;
    }
  };
  const [v4, v6] = await Promise.all([settle(resolver.resolve4(host)), settle(resolver.resolve6(host))]);
  return [...v4, ...v6];
}
