import type { DomainDirectory } from '@torii/contracts';

/** Lowercase, without brackets or an IPv4-mapped IPv6 prefix, so `::ffff:192.0.2.1` matches `192.0.2.1`. */
export function normalizeIp(ip: string): string {
  const bare = ip.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return bare.startsWith('::ffff:') && bare.includes('.') ? bare.slice(7) : bare;
}

export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * The directory as the edge needs it: a snapshot per domain and an index of the tenants' registered server
 * IPs. Immutable once built, so a session reads one consistent view while the watcher builds the next.
 */
export class DirectoryIndex {
  private readonly byDomain: ReadonlyMap<string, DomainDirectory>;
  private readonly byServerIp: ReadonlyMap<string, readonly DomainDirectory[]>;

  constructor(entries: Iterable<DomainDirectory>) {
    const byDomain = new Map<string, DomainDirectory>();
    const byServerIp = new Map<string, DomainDirectory[]>();
    for (const entry of entries) {
      byDomain.set(normalizeDomain(entry.domain), entry);
      for (const ip of entry.server?.ips ?? []) {
        const key = normalizeIp(ip);
        byServerIp.set(key, [...(byServerIp.get(key) ?? []), entry]);
      }
    }
    this.byDomain = byDomain;
    this.byServerIp = byServerIp;
  }

  static readonly empty = new DirectoryIndex([]);

  get size(): number {
    return this.byDomain.size;
  }

  domain(domain: string): DomainDirectory | undefined {
    return this.byDomain.get(normalizeDomain(domain));
  }

  /** Domains whose registered server has this IP (a shared server may serve several). */
  domainsOfServer(ip: string): readonly DomainDirectory[] {
    return this.byServerIp.get(normalizeIp(ip)) ?? [];
  }

  /** A copy with one domain replaced (value) or removed (undefined). */
  with(domain: string, value: DomainDirectory | undefined): DirectoryIndex {
    const key = normalizeDomain(domain);
    const entries = [...this.byDomain.entries()].filter(([d]) => d !== key).map(([, v]) => v);
    if (value) entries.push(value);
    return new DirectoryIndex(entries);
  }
}
