import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { isUniqueViolation, PrismaService } from '../db/prisma.service';
import { lockDomain, type DomainRecord } from '../domains/domains.repository';

export interface AddressRecord {
  id: string;
  localPart: string;
  kind: 'mailbox' | 'list';
  createdAt: Date;
}

export class AddressLimitError extends Error {
  constructor(
    readonly planSize: number,
    readonly current: number,
    readonly adding: number,
  ) {
    super(`the plan allows ${planSize} addresses; ${current} exist and ${adding} more were asked for`);
    this.name = 'AddressLimitError';
  }
}

export class AddressExistsError extends Error {
  constructor(localPart: string, options?: { cause?: unknown }) {
    super(`the address ${localPart} exists`, options);
    this.name = 'AddressExistsError';
  }
}

const select = { id: true, localPart: true, kind: true, createdAt: true } as const;

@Injectable()
export class AddressesRepository {
  constructor(private readonly db: PrismaService) {}

  list(domainId: string): Promise<AddressRecord[]> {
    return this.db.address.findMany({ where: { domainId }, select, orderBy: { localPart: 'asc' } });
  }

  find(domainId: string, localPart: string): Promise<AddressRecord | null> {
    return this.db.address.findUnique({ where: { domainId_localPart: { domainId, localPart } }, select });
  }

  async localParts(domainId: string): Promise<Set<string>> {
    return new Set((await this.db.address.findMany({ where: { domainId }, select: { localPart: true } })).map((a) => a.localPart));
  }

  /**
   * Creates all of `entries` or none: the domain row is locked, so the plan's limit (P3) holds against
   * concurrent requests too.
   */
  async createAll(
    domain: DomainRecord,
    entries: { localPart: string; kind: 'mailbox' | 'list' }[],
    actor: Principal,
  ): Promise<AddressRecord[]> {
    try {
      return await this.db.$transaction(async (tx) => {
        await lockDomain(tx, domain.id);
        const { planSize } = await tx.domain.findUniqueOrThrow({ where: { id: domain.id }, select: { planSize: true } });
        const current = await tx.address.count({ where: { domainId: domain.id } });
        if (current + entries.length > planSize) throw new AddressLimitError(planSize, current, entries.length);
        const created: AddressRecord[] = [];
        for (const entry of entries) created.push(await tx.address.create({ data: { domainId: domain.id, ...entry }, select }));
        if (created.length > 0) {
          await recordChange(tx, {
            actor,
            tenantId: domain.tenantId,
            domain,
            action: 'address.create',
            target: domain.name,
            details: { localParts: entries.map((e) => e.localPart) },
          });
        }
        return created;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AddressExistsError(entries.map((e) => e.localPart).join(', '), { cause: error });
      throw error;
    }
  }

  async update(domain: DomainRecord, address: AddressRecord, kind: 'mailbox' | 'list', actor: Principal): Promise<AddressRecord> {
    return this.db.$transaction(async (tx) => {
      const updated = await tx.address.update({ where: { id: address.id }, data: { kind }, select });
      await recordChange(tx, { actor, tenantId: domain.tenantId, domain, action: 'address.update', target: `${address.localPart}@${domain.name}`, details: { kind } });
      return updated;
    });
  }

  async delete(domain: DomainRecord, address: AddressRecord, actor: Principal): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.address.delete({ where: { id: address.id } });
      await recordChange(tx, { actor, tenantId: domain.tenantId, domain, action: 'address.delete', target: `${address.localPart}@${domain.name}` });
    });
  }
}
