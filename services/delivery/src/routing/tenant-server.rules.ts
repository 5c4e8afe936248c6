import { addressClass } from '@torii/auth';

/**
 * A tenant's server registered by name only is looked up at delivery time, so the tenant service's check of
 * registered addresses (public unicast unless the operator allowed a range: MAIL_SERVER_ALLOWED_RANGES) cannot
 * see where it points: a name resolving to 127.0.0.1 or 169.254.169.254 would reach the gateway's own network
 * (security review F6). Only public unicast addresses of such a name are used; a server on a private network
 * must be registered with its addresses, where the operator's settings decide.
 */
export function publicAddressesOnly<H extends { ip: string }>(hops: readonly H[]): { kept: H[]; refused: string[] } {
  const kept: H[] = [];
  const refused: string[] = [];
  for (const hop of hops) {
    const range = addressClass(hop.ip);
    if (range === 'unicast') kept.push(hop);
    else refused.push(`${hop.ip} (${range ?? 'not an address'})`);
  }
  return { kept, refused };
}
