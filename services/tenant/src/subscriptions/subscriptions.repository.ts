import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { PrismaService } from '../db/prisma.service';
import type { ServiceCode } from '../directory/directory.rules';
import type { DomainRecord } from '../domains/domains.repository';

export interface SubscriptionRecord {
  id: string;
  service: ServiceCode;
  startsOn: string;
  endsOn: string | null;
  quarantineExtraBlocks: number;
  archiveExtraBlocks: number;
  createdAt: Date;
}

const day = (date: Date): string => date.toISOString().slice(0, 10);
const toDate = (iso: string): Date => new Date(`${iso}T00:00:00Z`);

type Row = { id: string; service: ServiceCode; startsOn: Date; endsOn: Date | null; quarantineExtraBlocks: number; archiveExtraBlocks: number; createdAt: Date };
const toRecord = (row: Row): SubscriptionRecord => ({ ...row, startsOn: day(row.startsOn), endsOn: row.endsOn ? day(row.endsOn) : null });

@Injectable()
export class SubscriptionsRepository {
  constructor(private readonly db: PrismaService) {}

  async list(domainId: string): Promise<SubscriptionRecord[]> {
    const rows = await this.db.subscription.findMany({ where: { domainId }, orderBy: [{ service: 'asc' }, { startsOn: 'asc' }] });
    return rows.map(toRecord);
  }

  async find(domainId: string, id: string): Promise<SubscriptionRecord | null> {
    const row = await this.db.subscription.findFirst({ where: { domainId, id } });
    return row ? toRecord(row) : null;
  }

  async create(
    domain: DomainRecord,
    data: { service: ServiceCode; startsOn: string; quarantineExtraBlocks: number; archiveExtraBlocks: number },
    actor: Principal,
  ): Promise<SubscriptionRecord> {
    return this.db.$transaction(async (tx) => {
      const row = await tx.subscription.create({ data: { domainId: domain.id, ...data, startsOn: toDate(data.startsOn) } });
      await recordChange(tx, { actor, tenantId: domain.tenantId, domain, action: 'subscription.create', target: `${domain.name}/${data.service}`, details: data });
      return toRecord(row);
    });
  }

  async update(
    domain: DomainRecord,
    id: string,
    patch: { endsOn?: string | null; quarantineExtraBlocks?: number; archiveExtraBlocks?: number },
    actor: Principal,
  ): Promise<SubscriptionRecord> {
    return this.db.$transaction(async (tx) => {
      const row = await tx.subscription.update({
        where: { id },
        data: { ...patch, ...(patch.endsOn !== undefined && { endsOn: patch.endsOn === null ? null : toDate(patch.endsOn) }) },
      });
      await recordChange(tx, { actor, tenantId: domain.tenantId, domain, action: 'subscription.update', target: `${domain.name}/${row.service}`, details: patch });
      return toRecord(row);
    });
  }
}
