import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { isUniqueViolation, PrismaService, type Prisma } from '../db/prisma.service';

export interface DomainRecord {
  id: string;
  name: string;
  tenantId: string;
  planSize: number;
  status: 'active' | 'suspended';
  createdAt: Date;
}

export interface MailServerRecord {
  hostname: string;
  ips: string[];
  port: number;
}

export class DomainTakenError extends Error {
  constructor(name: string, options?: { cause?: unknown }) {
    super(`the domain ${name} is already registered`, options);
    this.name = 'DomainTakenError';
  }
}

/** The plan is smaller than the number of addresses already registered. */
export class PlanTooSmallError extends Error {
  constructor(
    readonly planSize: number,
    readonly addresses: number,
  ) {
    super(`the domain has ${addresses} addresses, more than a plan of ${planSize} allows`);
    this.name = 'PlanTooSmallError';
  }
}

const domainSelect = { id: true, name: true, tenantId: true, planSize: true, status: true, createdAt: true } as const;

@Injectable()
export class DomainsRepository {
  constructor(private readonly db: PrismaService) {}

  listForTenant(tenantId: string): Promise<DomainRecord[]> {
    return this.db.domain.findMany({ where: { tenantId }, select: domainSelect, orderBy: { name: 'asc' } });
  }

  /** The domain if it belongs to the tenant (a foreign domain is "not found"). */
  findForTenant(tenantId: string, name: string): Promise<DomainRecord | null> {
    return this.db.domain.findFirst({ where: { tenantId, name }, select: domainSelect });
  }

  async allNames(): Promise<string[]> {
    return (await this.db.domain.findMany({ select: { name: true }, orderBy: { name: 'asc' } })).map((d) => d.name);
  }

  async create(tenantId: string, name: string, planSize: number, actor: Principal): Promise<DomainRecord> {
    try {
      return await this.db.$transaction(async (tx) => {
        const domain = await tx.domain.create({ data: { tenantId, name, planSize, revision: revisionBase() }, select: domainSelect });
        await recordChange(tx, { actor, tenantId, domain, action: 'domain.create', target: name, details: { planSize } });
        return domain;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainTakenError(name, { cause: error });
      throw error;
    }
  }

  async delete(domain: DomainRecord, actor: Principal): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.domain.delete({ where: { id: domain.id } });
      await recordChange(tx, { actor, tenantId: domain.tenantId, domainName: domain.name, action: 'domain.delete', target: domain.name });
    });
  }

  /** One plan for all the domain's services (P2); refused when more addresses exist than it allows. */
  async changePlan(domain: DomainRecord, planSize: number, actor: Principal): Promise<DomainRecord> {
    return this.db.$transaction(async (tx) => {
      await lockDomain(tx, domain.id);
      const addresses = await tx.address.count({ where: { domainId: domain.id } });
      if (addresses > planSize) throw new PlanTooSmallError(planSize, addresses);
      const updated = await tx.domain.update({ where: { id: domain.id }, data: { planSize }, select: domainSelect });
      await recordChange(tx, { actor, tenantId: domain.tenantId, domain, action: 'domain.plan', target: domain.name, details: { from: domain.planSize, to: planSize } });
      return updated;
    });
  }

  async setStatus(domain: DomainRecord, status: 'active' | 'suspended', actor: Principal): Promise<DomainRecord> {
    return this.db.$transaction(async (tx) => {
      const updated = await tx.domain.update({ where: { id: domain.id }, data: { status }, select: domainSelect });
      await recordChange(tx, { actor, tenantId: domain.tenantId, domain, action: 'domain.status', target: domain.name, details: { status } });
      return updated;
    });
  }

  async getPolicies(domainId: string): Promise<Record<string, Record<string, string>>> {
    const row = await this.db.domain.findUniqueOrThrow({ where: { id: domainId }, select: { policies: true } });
    return (row.policies ?? {}) as Record<string, Record<string, string>>;
  }

  /** Replaces one service's settings; the others stay (the row lock makes a concurrent save of another service wait). */
  async setPolicy(domain: DomainRecord, service: string, settings: Record<string, string>, actor: Principal): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await lockDomain(tx, domain.id);
      const row = await tx.domain.findUniqueOrThrow({ where: { id: domain.id }, select: { policies: true } });
      const policies = { ...((row.policies ?? {}) as Record<string, unknown>), [service]: settings };
      await tx.domain.update({ where: { id: domain.id }, data: { policies: policies as Prisma.InputJsonValue } });
      await recordChange(tx, { actor, tenantId: domain.tenantId, domain, action: 'domain.policy', target: `${domain.name}/${service}`, details: settings });
    });
  }

  getMailServer(domainId: string): Promise<MailServerRecord | null> {
    return this.db.mailServer.findUnique({ where: { domainId }, select: { hostname: true, ips: true, port: true } });
  }

  async putMailServer(domain: DomainRecord, server: MailServerRecord, actor: Principal): Promise<MailServerRecord> {
    return this.db.$transaction(async (tx) => {
      const saved = await tx.mailServer.upsert({
        where: { domainId: domain.id },
        create: { domainId: domain.id, ...server },
        update: server,
        select: { hostname: true, ips: true, port: true },
      });
      await recordChange(tx, { actor, tenantId: domain.tenantId, domain, action: 'server.put', target: domain.name, details: { ...server } });
      return saved;
    });
  }
}

/**
 * Snapshot revisions start from the clock (ms × 1000) and count up by one per change, so they keep growing
 * across a delete and re-creation of the same domain (consumers drop revisions older than what they hold).
 */
export function revisionBase(): bigint {
  return BigInt(Date.now()) * 1000n;
}

/**
 * Serialises changes of one domain that read before they write: addresses and plan (the limit check must see
 * every insert), policies (read-modify-write of one JSON column), subscriptions (the overlap check).
 */
export async function lockDomain(tx: Prisma.TransactionClient, domainId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Domain" WHERE id = ${domainId}::uuid FOR UPDATE`;
}
