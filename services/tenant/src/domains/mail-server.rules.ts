import { addressClass, ipInRanges } from '@torii/auth';

/** Where the operator lets tenants' mail servers be (MAIL_SERVER_ALLOWED_RANGES, MAIL_SERVER_PORTS). */
export interface MailServerPolicy {
  /** CIDRs accepted although not public unicast (a customer network of the ISP, the local sinks of `npm start`). */
  allowedRanges: readonly string[];
  /** Accepted ports, as inclusive ranges. */
  ports: readonly (readonly [number, number])[];
}

export type MailServerCheck = { ok: true } | { ok: false; code: 'mail-server-address-not-allowed' | 'mail-server-port-not-allowed'; detail: string };

/** What ipaddr.js calls each refused class, in words for the answer. */
const CLASS_NAMES: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (cloud metadata services such as 169.254.169.254 live there)',
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  carrierGradeNat: 'a shared (RFC 6598) address (some cloud metadata services live there)',
  uniqueLocal: 'a unique local (private) IPv6 address',
  ipv4Mapped: 'an IPv4-mapped IPv6 address',
  rfc6145: 'an IPv4-translated IPv6 address',
  rfc6052: 'a NAT64 address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
  reserved: 'a reserved address (IETF, documentation, benchmarking or future use)',
};

/**
 * Why an address is not a public unicast address, or undefined when it is one. IPv4-mapped IPv6 is judged as
 * the IPv4 address it carries; anything ipaddr.js does not call `unicast` is refused (fails closed for the
 * classes it may learn later).
 */
export function nonPublicClass(ip: string): string | undefined {
  const range = addressClass(ip);
  if (range === undefined) return 'not an IP address';
  return range === 'unicast' ? undefined : (CLASS_NAMES[range] ?? `a special-purpose address (${range})`);
}

/**
 * F6: a tenant admin names where delivery connects for their domain, so the gateway would otherwise open SMTP
 * connections to its own network (Postgres on 127.0.0.1:5432, the metadata service on 169.254.169.254:80) and
 * report the outcome back. Refused unless the operator allowed it: addresses that are not public unicast
 * (loopback, private, link-local, shared, multicast, unspecified, reserved, IPv6 translation prefixes), and
 * ports other than the SMTP ones. A server given by name only is resolved by delivery; see docs.
 */
export function checkMailServer(server: { ips: readonly string[]; port: number }, policy: MailServerPolicy): MailServerCheck {
  if (!policy.ports.some(([low, high]) => server.port >= low && server.port <= high)) {
    const allowed = policy.ports.map(([low, high]) => (low === high ? String(low) : `${low}-${high}`)).join(', ');
    return { ok: false, code: 'mail-server-port-not-allowed', detail: `port ${server.port} is not a mail port this gateway delivers to (allowed: ${allowed})` };
  }
  for (const ip of server.ips) {
    const problem = nonPublicClass(ip);
    if (problem && !ipInRanges(ip, policy.allowedRanges)) {
      return { ok: false, code: 'mail-server-address-not-allowed', detail: `${ip} is ${problem}; a tenant's mail server must have a public address` };
    }
  }
  return { ok: true };
}

/** `25,465,587,2525` or ranges such as `1024-65535` into inclusive ranges; undefined when malformed. */
export function parsePortList(items: readonly string[]): [number, number][] | undefined {
  const ranges: [number, number][] = [];
  for (const item of items) {
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item.trim());
    if (!match) return undefined;
    const low = Number(match[1]);
    const high = Number(match[2] ?? match[1]);
    if (low < 1 || high > 65535 || low > high) return undefined;
    ranges.push([low, high]);
  }
  return ranges;
}
