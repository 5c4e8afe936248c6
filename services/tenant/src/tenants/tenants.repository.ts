import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { isUniqueViolation, PrismaService } from '../db/prisma.service';

export interface TenantRecord {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  createdAt: Date;
}

export class TenantNameTakenError extends Error {
  constructor(name: string, options?: { cause?: unknown }) {
    super(`a tenant named "${name}" exists`, options);
    this.name = 'TenantNameTakenError';
  }
}

@Injectable()
export class TenantsRepository {
  constructor(private readonly db: PrismaService) {}

  list(): Promise<TenantRecord[]> {
    return this.db.tenant.findMany({ orderBy: { createdAt: 'asc' } });
  }

  find(id: string): Promise<TenantRecord | null> {
    return this.db.tenant.findUnique({ where: { id } });
  }

  findByName(name: string): Promise<TenantRecord | null> {
    return this.db.tenant.findUnique({ where: { name } });
  }

  async create(name: string, actor: Principal): Promise<TenantRecord> {
    try {
      return await this.db.$transaction(async (tx) => {
        const tenant = await tx.tenant.create({ data: { name } });
        await recordChange(tx, { actor, tenantId: tenant.id, action: 'tenant.create', target: tenant.id, details: { name } });
        return tenant;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new TenantNameTakenError(name, { cause: error });
      throw error;
    }
  }

  /** Updates and returns the tenant with the names of its domains (their snapshots change). */
  async update(
    id: string,
    patch: { name?: string; status?: 'active' | 'suspended' },
    actor: Principal,
  ): Promise<{ tenant: TenantRecord; domains: string[] }> {
    try {
      return await this.db.$transaction(async (tx) => {
        const tenant = await tx.tenant.update({ where: { id }, data: patch });
        const domains = await tx.domain.findMany({ where: { tenantId: id }, select: { id: true, name: true } });
        for (const domain of domains) await tx.domain.update({ where: { id: domain.id }, data: { revision: { increment: 1 } } });
        await recordChange(tx, { actor, tenantId: id, action: 'tenant.update', target: id, details: patch });
        return { tenant, domains: domains.map((d) => d.name) };
      });
    } catch (error) {
      if (isUniqueViolation(error) && patch.name) throw new TenantNameTakenError(patch.name, { cause: error });
      throw error;
    }
  }

  /** Deletes a tenant that has no domains left; false when it still has some. */
  async delete(id: string, actor: Principal): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      if ((await tx.domain.count({ where: { tenantId: id } })) > 0) return false;
      await tx.tenant.delete({ where: { id } });
      await recordChange(tx, { actor, tenantId: null, action: 'tenant.delete', target: id });
      return true;
    });
  }
}
