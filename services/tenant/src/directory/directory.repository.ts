import { Injectable } from '@nestjs/common';
import { PrismaService } from '../db/prisma.service';
import type { DomainFacts } from './directory.rules';

const day = (date: Date): string => date.toISOString().slice(0, 10);

/** Reads everything a domain's snapshot is made of, in one consistent query. */
@Injectable()
export class DirectoryRepository {
  constructor(private readonly db: PrismaService) {}

  async facts(name: string): Promise<DomainFacts | null> {
    const domain = await this.db.domain.findUnique({
      where: { name },
      include: {
        tenant: { include: { users: { where: { role: 'admin' }, select: { email: true } } } },
        addresses: { include: { user: { select: { id: true } } } },
        mailServer: true,
        subscriptions: true,
      },
    });
    if (!domain) return null;
    return {
      name: domain.name,
      tenantId: domain.tenantId,
      tenantName: domain.tenant.name,
      tenantActive: domain.tenant.status === 'active',
      domainActive: domain.status === 'active',
      planSize: domain.planSize,
      revision: Number(domain.revision),
      policies: (domain.policies ?? {}) as DomainFacts['policies'],
      subscriptions: domain.subscriptions.map((s) => ({
        service: s.service,
        startsOn: day(s.startsOn),
        endsOn: s.endsOn ? day(s.endsOn) : null,
        quarantineExtraBlocks: s.quarantineExtraBlocks,
        archiveExtraBlocks: s.archiveExtraBlocks,
      })),
      addresses: domain.addresses.map((a) => ({ localPart: a.localPart, kind: a.kind, ...(a.user && { userId: a.user.id }) })),
      server: domain.mailServer ? { hostname: domain.mailServer.hostname, ips: domain.mailServer.ips, port: domain.mailServer.port } : null,
      adminEmails: domain.tenant.users.map((u) => u.email),
    };
  }
}
