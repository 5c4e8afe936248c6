import { Resolver } from 'node:dns/promises';
import { readFileSync, statSync } from 'node:fs';

/**
 * The one DNS function of the edge, in the shape mailauth wants: `(name, rrtype) => records`. Missing
 * records throw an error with `code` ENOTFOUND/ENODATA (a fact), anything else (ETIMEOUT, ESERVFAIL) is a
 * temporary failure.
 */
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown[]>;

export class DnsLookupError extends Error {
  constructor(
    readonly code: string,
    readonly hostname: string,
    readonly rrtype: string,
  ) {
    super(`${rrtype} ${hostname}: ${code}`);
    this.name = 'DnsLookupError';
  }
}

/** True when DNS answered that the record does not exist (as opposed to failing to answer). */
export function isNoRecord(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

/** System (or configured) DNS with a timeout. */
export function systemResolver(options: { servers?: readonly string[]; timeoutMs: number }): DnsResolver {
  const resolver = new Resolver({ timeout: options.timeoutMs, tries: 2 });
  if (options.servers?.length) resolver.setServers([...options.servers]);
  return async (name, rrtype) => {
    if (rrtype === 'PTR') return resolver.reverse(name);
    return (await resolver.resolve(name, rrtype)) as unknown[];
  };
}

/**
 * Records from a JSON file instead of DNS, for tests and local runs:
 * `{ "PTR": { "127.0.0.2": ["mx.acme.test"] }, "A": { "mx.acme.test": ["127.0.0.2"] },
 *    "TXT": { "acme.test": [["v=spf1 ip4:127.0.0.2 -all"]] } }`.
 * PTR keys are IP addresses. Names are matched case-insensitively without a trailing dot. Anything not in
 * the file is ENOTFOUND: a test never reaches real DNS. The file is re-read when it changes.
 */
export function fileResolver(path: string): DnsResolver {
  let cached: { mtimeMs: number; records: Record<string, Record<string, unknown[]>> } | undefined;
  const load = () => {
    const { mtimeMs } = statSync(path);
    if (!cached || cached.mtimeMs !== mtimeMs) {
      const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown[]>>;
      const records: Record<string, Record<string, unknown[]>> = {};
      for (const [type, byName] of Object.entries(raw)) {
        records[type.toUpperCase()] = Object.fromEntries(Object.entries(byName).map(([n, v]) => [key(n), v]));
      }
      cached = { mtimeMs, records };
    }
    return cached.records;
  };
  return async (name, rrtype) => {
    const found = load()[rrtype.toUpperCase()]?.[key(name)];
    if (!found || found.length === 0) throw new DnsLookupError('ENOTFOUND', name, rrtype);
    return found;
  };
}

function key(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Reverse DNS names of `ip`. With `forwardConfirm`, only names whose A/AAAA records contain `ip` (FCrDNS).
 * A missing PTR yields []; a DNS failure throws (the caller answers 4xx, never 5xx, on a failure).
 */
export async function reverseNames(resolve: DnsResolver, ip: string, forwardConfirm: boolean): Promise<string[]> {
  let names: string[];
  try {
    names = (await resolve(ip, 'PTR')).map(String);
  } catch (error) {
    if (isNoRecord(error)) return [];
    throw error;
  }
  if (!forwardConfirm) return names;
  const confirmed: string[] = [];
  for (const name of names) {
    const addresses: string[] = [];
    for (const type of ip.includes(':') ? ['AAAA'] : ['A']) {
      try {
        addresses.push(...(await resolve(name, type)).map((a) => String(a).toLowerCase()));
      } catch (error) {
        if (!isNoRecord(error)) throw error;
      }
    }
    if (addresses.includes(ip.toLowerCase())) confirmed.push(name);
  }
  return confirmed;
}
