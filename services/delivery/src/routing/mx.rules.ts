/** RFC 5321 §5.1 and RFC 7505: from MX records to the hosts to try, in order. Pure. */

export type MxRoute =
  | { kind: 'hosts'; hosts: string[] }
  /** RFC 7505: the domain says it accepts no mail (`MX 0 .`): bounce at once with 5.1.10. */
  | { kind: 'null-mx' };

export function mxRoute(domain: string, records: readonly { exchange: string; priority: number }[] | 'no-mx'): MxRoute {
  if (records === 'no-mx') return { kind: 'hosts', hosts: [domain] }; // implicit MX: the domain's own A/AAAA
  const isNull = (r: { exchange: string }) => r.exchange === '' || r.exchange === '.';
  if (records.length === 1 && isNull(records[0])) return { kind: 'null-mx' };
  const usable = records.filter((r) => !isNull(r));
  if (usable.length === 0) return { kind: 'null-mx' };
  const sorted = [...usable].sort((a, b) => a.priority - b.priority);
  return { kind: 'hosts', hosts: [...new Set(sorted.map((r) => r.exchange.replace(/\.$/, '').toLowerCase()))] };
}
