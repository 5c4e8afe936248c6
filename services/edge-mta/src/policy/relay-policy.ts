import type { DomainDirectory } from '@torii/contracts';
import { normalizeDomain, normalizeIp } from '../directory/directory-index';

/** Why relay was refused; each is answered 550 5.7.1 and counted by reason. */
export type RelayDenial = 'unregistered-ip' | 'ptr-mismatch' | 'foreign-sender' | 'suspended';

export type RelayDecision = { kind: 'allow'; tenantId: string; domain: string } | { kind: 'deny'; reason: RelayDenial };

export interface RelayInput {
  clientIp: string;
  /** Verified reverse DNS names of the client (forward-confirmed when required), lowercase. */
  ptrNames: readonly string[];
  /** Domain of MAIL FROM; undefined for the null sender `<>`. */
  senderDomain: string | undefined;
  /** Domains whose registered server has `clientIp`. */
  serverDomains: readonly DomainDirectory[];
  /** The sender domain's snapshot, when it is a tenant's. */
  senderDirectory: DomainDirectory | undefined;
}

/**
 * SPEC P4: relay only from the tenant's registered server (IP listed and reverse DNS equal to the registered
 * host name), and only with an envelope sender in that tenant's domain. A null sender (a bounce from the
 * tenant's server) is relayed when the IP belongs to exactly one tenant.
 */
export function decideRelay(input: RelayInput): RelayDecision {
  const ip = normalizeIp(input.clientIp);
  if (input.serverDomains.length === 0) return { kind: 'deny', reason: 'unregistered-ip' };
  let directory: DomainDirectory | undefined;
  if (input.senderDomain === undefined) {
    const tenants = new Set(input.serverDomains.map((d) => d.tenantId));
    if (tenants.size !== 1) return { kind: 'deny', reason: 'foreign-sender' };
    directory = input.serverDomains[0];
  } else {
    directory = input.senderDirectory;
    if (!directory || normalizeDomain(directory.domain) !== normalizeDomain(input.senderDomain))
      return { kind: 'deny', reason: 'foreign-sender' };
    if (!(directory.server?.ips ?? []).some((candidate) => normalizeIp(candidate) === ip))
      return { kind: 'deny', reason: 'foreign-sender' };
  }
  const hostname = normalizeDomain(directory.server?.hostname ?? '');
  if (!hostname || !input.ptrNames.some((name) => normalizeDomain(name) === hostname))
    return { kind: 'deny', reason: 'ptr-mismatch' };
  if (!directory.active) return { kind: 'deny', reason: 'suspended' };
  return { kind: 'allow', tenantId: directory.tenantId, domain: normalizeDomain(directory.domain) };
}
