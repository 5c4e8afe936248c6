import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Parses an address, turning IPv4-mapped IPv6 (`::ffff:10.0.0.1`) into IPv4 so it matches IPv4 ranges. */
function parseAddress(ip: string): Address | undefined {
  try {
    return ipaddr.process(ip.trim());
  } catch {
    return undefined;
  }
}

function parseRange(range: string): [Address, number] | undefined {
  const text = range.trim();
  try {
    let address: Address;
    let bits: number;
    if (text.includes('/')) [address, bits] = ipaddr.parseCIDR(text);
    else {
      address = ipaddr.parse(text);
      bits = address.kind() === 'ipv4' ? 32 : 128;
    }
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
    }
    return [address, bits];
  } catch {
    return undefined;
  }
}

/**
 * Whether `ip` lies in one of `ranges` (CIDR or single addresses, IPv4 or IPv6). Malformed entries match
 * nothing, and a malformed `ip` is in no range: an allow list fails closed.
 */
export function ipInRanges(ip: string, ranges: readonly string[]): boolean {
  const address = parseAddress(ip);
  if (!address) return false;
  return ranges.some((range) => {
    const parsed = parseRange(range);
    if (!parsed || parsed[0].kind() !== address.kind()) return false;
    return address.kind() === 'ipv4'
      ? (address as ipaddr.IPv4).match(parsed[0] as ipaddr.IPv4, parsed[1])
      : (address as ipaddr.IPv6).match(parsed[0] as ipaddr.IPv6, parsed[1]);
  });
}

/** Whether `text` is an IP address or a CIDR range (what ipInRanges takes). */
export const isIpOrRange = (text: string): boolean => parseRange(text) !== undefined;

/**
 * The special-purpose class of an address as ipaddr.js names it (`unicast` for a public one; `loopback`,
 * `private`, `linkLocal`, `uniqueLocal`, `reserved`…), IPv4-mapped IPv6 judged as its IPv4; undefined if
 * malformed.
 */
export const addressClass = (ip: string): string | undefined => parseAddress(ip)?.range();

/** `true`: trust every hop (behind a known load balancer only); a list: trust proxies in these ranges. */
export type TrustedProxies = boolean | readonly string[];

/**
 * The client's address: the socket peer, or, when that peer is a trusted proxy, the nearest untrusted
 * address in X-Forwarded-For read right to left (the left part is whatever the client chose to send).
 */
export function clientIp(remoteAddress: string | undefined, forwardedFor: string | undefined, trusted: TrustedProxies): string | undefined {
  const isTrusted = (ip: string) => trusted === true || (Array.isArray(trusted) && ipInRanges(ip, trusted));
  const hops = (forwardedFor ?? '').split(',').map((hop) => hop.trim()).filter(Boolean);
  let current = remoteAddress;
  while (current !== undefined && trusted !== false && isTrusted(current) && hops.length > 0) current = hops.pop();
  if (current === undefined) return undefined;
  return parseAddress(current)?.toString() ?? current;
}
