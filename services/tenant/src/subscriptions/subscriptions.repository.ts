import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { PrismaService } from '../db/prisma.service';
import type { ServiceCode } from '../directory/directory.rules';
import { lockDomain, type DomainRecord } from '../domains/domains.repository';
import { checkNewSubscription, type SubscriptionCheck } from './subscriptions.rules';

export interface SubscriptionRecord {
  id: string;
  service: ServiceCode;
  startsOn: string;
  endsOn: string | null;
  quarantineExtraBlocks: number;
  archiveExtraBlocks: number;
  createdAt: Date;
}

/** The new subscription overlaps one of the same service (checked under the domain's lock). */
export class SubscriptionRefusedError extends Error {
  constructor(readonly check: Extract<SubscriptionCheck, { ok: false }>) {
    super(check.detail);
    this.name = 'SubscriptionRefusedError';
  }
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

  /** Refused with SubscriptionRefusedError when it overlaps a subscription of the same service (checkNewSubscription). */
  async create(
    domain: DomainRecord,
    data: { service: ServiceCode; startsOn: string; quarantineExtraBlocks: number; archiveExtraBlocks: number },
    actor: Principal,
  ): Promise<SubscriptionRecord> {
    return this.db.$transaction(async (tx) => {
      // Under the domain's lock, so two requests cannot both pass the overlap check and both insert.
      await lockDomain(tx, domain.id);
      const existing = await tx.subscription.findMany({ where: { domainId: domain.id, service: data.service } });
      const check = checkNewSubscription(existing.map(toRecord), { service: data.service, startsOn: data.startsOn, endsOn: null });
      if (!check.ok) throw new SubscriptionRefusedError(check);
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
