import { Injectable } from '@nestjs/common';
import type { Principal, Role } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { PrismaService } from '../db/prisma.service';

export interface ApiKeyRecord {
  id: string;
  role: Role;
  tenantId: string | null;
  label: string;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const select = { id: true, role: true, tenantId: true, label: true, createdBy: true, createdAt: true, lastUsedAt: true, revokedAt: true } as const;

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: PrismaService) {}

  async create(data: { id: string; hash: string; role: Role; tenantId: string | null; label: string }, actor: Principal): Promise<ApiKeyRecord> {
    return this.db.$transaction(async (tx) => {
      // The tenant must exist (an operator may name any id): an unknown one is "not found", not a foreign-key error.
      if (data.tenantId !== null && (await tx.tenant.count({ where: { id: data.tenantId } })) === 0) throw new UnknownTenantError(data.tenantId);
      const key = await tx.apiKey.create({ data: { ...data, createdBy: actor.subject }, select });
      await recordChange(tx, { actor, tenantId: data.tenantId, action: 'api-key.create', target: data.id, details: { label: data.label, role: data.role } });
      return key;
    });
  }

  listForTenant(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.db.apiKey.findMany({ where: { tenantId }, select, orderBy: { createdAt: 'asc' } });
  }

  findForTenant(tenantId: string, id: string): Promise<ApiKeyRecord | null> {
    return this.db.apiKey.findFirst({ where: { tenantId, id }, select });
  }

  /** The stored hash of an unrevoked key, for verification. */
  findActive(id: string): Promise<(ApiKeyRecord & { hash: string }) | null> {
    return this.db.apiKey.findFirst({ where: { id, revokedAt: null }, select: { ...select, hash: true } });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.apiKey.update({ where: { id }, data: { lastUsedAt: at } });
  }

  async revoke(key: ApiKeyRecord, actor: Principal): Promise<ApiKeyRecord> {
    return this.db.$transaction(async (tx) => {
      const revoked = await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: key.revokedAt ?? new Date() }, select });
      await recordChange(tx, { actor, tenantId: key.tenantId, action: 'api-key.revoke', target: key.id });
      return revoked;
    });
  }
}

export class UnknownTenantError extends Error {
  constructor(readonly tenantId: string) {
    super(`no tenant ${tenantId}`);
    this.name = 'UnknownTenantError';
  }
}
