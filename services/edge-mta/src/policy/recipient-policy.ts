import type { DomainDirectory } from '@torii/contracts';

/** What the edge answers to one inbound RCPT TO. Pure: no Haraka, no NATS. */
export type RecipientDecision =
  | { kind: 'accept'; tenantId: string; domain: string }
  /** The domain is no tenant's: 550 5.7.1 Relaying denied. */
  | { kind: 'relay-denied' }
  /** Spam filtering or the secondary service is subscribed and the address is not registered: 550 5.1.1. */
  | { kind: 'unknown-user' }
  /** The domain's tenant is suspended: 450 4.7.1, the sender retries later. */
  | { kind: 'suspended' }
  /** Another tenant than the transaction's first recipient: 452 4.5.3, the sender retries it separately. */
  | { kind: 'other-tenant' }
  /**
   * Another domain (of the same tenant) than the transaction's first recipient: 452 4.5.3 as well. One message
   * is routed, filtered and limited as one domain's (its server, its services, its size limit), so each domain
   * gets its own transaction.
   */
  | { kind: 'other-domain' }
  /** The domain has no mail server registered yet: nothing could deliver it, 451 4.4.4 until there is one. */
  | { kind: 'no-server' }
  /** The directory was never loaded: 451 4.3.0, never a 5xx for a fact we do not know. */
  | { kind: 'directory-unavailable' };

export interface RecipientInput {
  localPart: string;
  /** The recipient's domain snapshot, undefined when the domain is not in the directory. */
  directory: DomainDirectory | undefined;
  directoryLoaded: boolean;
  /** Tenant of recipients already accepted in this transaction (one tenant per transaction). */
  transactionTenantId?: string;
  /** Domain of recipients already accepted in this transaction (one domain per transaction). */
  transactionDomain?: string;
}

export function decideInboundRecipient(input: RecipientInput): RecipientDecision {
  const { directory } = input;
  if (!input.directoryLoaded) return { kind: 'directory-unavailable' };
  if (!directory) return { kind: 'relay-denied' };
  if (!directory.active) return { kind: 'suspended' };
  if (input.transactionTenantId !== undefined && input.transactionTenantId !== directory.tenantId)
    return { kind: 'other-tenant' };
  if (input.transactionDomain !== undefined && input.transactionDomain !== directory.domain) return { kind: 'other-domain' };
  if (!directory.server?.hostname) return { kind: 'no-server' };
  // SPAM2, and SEC: as a backup MX for a secondary-only domain we must not accept what the tenant's server
  // would refuse later (we would become a backscatter source). Domains with neither keep "any address".
  if (directory.services?.spam?.subscribed || directory.services?.secondary?.subscribed) {
    const local = input.localPart.toLowerCase();
    if (!directory.addresses.some((a) => a.localPart.toLowerCase() === local)) return { kind: 'unknown-user' };
  }
  return { kind: 'accept', tenantId: directory.tenantId, domain: directory.domain };
}
