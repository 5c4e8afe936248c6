import { AddressKind, DomainDirectorySchema, create, type DomainDirectory } from '@torii/contracts';

export interface DirectoryFixture {
  domain: string;
  tenantId: string;
  spam?: boolean;
  active?: boolean;
  addresses?: string[];
  hostname?: string;
  ips?: string[];
  maxMessageBytes?: number;
}

/** A DomainDirectory snapshot as the tenant service writes it, with just the facts a test cares about. */
export function directoryEntry(fixture: DirectoryFixture): DomainDirectory {
  return create(DomainDirectorySchema, {
    domain: fixture.domain,
    tenantId: fixture.tenantId,
    tenantName: fixture.tenantId,
    active: fixture.active ?? true,
    planAddresses: 10,
    services: { spam: { subscribed: fixture.spam ?? false } },
    addresses: (fixture.addresses ?? []).map((localPart) => ({ localPart, kind: AddressKind.MAILBOX })),
    server: { hostname: fixture.hostname ?? `mail.${fixture.domain}`, ips: fixture.ips ?? [], port: 25 },
    limits: { maxMessageBytes: BigInt(fixture.maxMessageBytes ?? 0) },
    revision: 1n,
  });
}
