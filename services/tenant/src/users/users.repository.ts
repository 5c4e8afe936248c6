import { Injectable } from '@nestjs/common';
import type { Principal, Role } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { isUniqueViolation, PrismaService, type Tx } from '../db/prisma.service';

export interface UserRecord {
  id: string;
  email: string;
  role: Role;
  tenantId: string | null;
  addressId: string | null;
  createdAt: Date;
}

export interface UserWithSecret extends UserRecord {
  passwordHash: string;
  sessionVersion: number;
}

/** What the other services check a login token against (libs/auth SessionVerifier). */
export interface SessionState {
  role: Role;
  tenantId: string | null;
  sessionVersion: number;
}

export class EmailTakenError extends Error {
  constructor(email: string, options?: { cause?: unknown }) {
    super(`a user with the email ${email} exists`, options);
    this.name = 'EmailTakenError';
  }
}

const select = { id: true, email: true, role: true, tenantId: true, addressId: true, createdAt: true } as const;

/**
 * The API keys a user made, and the keys those keys made, go with the user: an admin who leaves must not keep
 * the tenant's access through a key (a key acts with its maker's role). Each revocation is audited.
 */
async function revokeKeysMadeBy(tx: Tx, user: UserRecord, actor: Principal): Promise<void> {
  const at = new Date();
  // The walk goes through revoked keys too: a key revoked before its maker left may have made keys that were not.
  const seen = new Set<string>();
  let makers = [user.id];
  while (makers.length > 0) {
    const keys = (await tx.apiKey.findMany({ where: { createdBy: { in: makers } }, select: { id: true, tenantId: true, revokedAt: true } })).filter((k) => !seen.has(k.id));
    for (const key of keys) seen.add(key.id);
    const active = keys.filter((k) => k.revokedAt === null);
    if (active.length) await tx.apiKey.updateMany({ where: { id: { in: active.map((k) => k.id) } }, data: { revokedAt: at } });
    for (const key of active) {
      await recordChange(tx, { actor, tenantId: key.tenantId, action: 'api-key.revoke', target: key.id, details: { reason: `its maker ${user.email} was deleted` } });
    }
    makers = keys.map((k) => `api-key:${k.id}`);
  }
}

/** Admins appear in the snapshot of every domain of their tenant: those revisions move with them. */
async function bumpTenantDomains(tx: Tx, tenantId: string | null): Promise<string[]> {
  if (!tenantId) return [];
  const domains = await tx.domain.findMany({ where: { tenantId }, select: { id: true, name: true } });
  for (const domain of domains) await tx.domain.update({ where: { id: domain.id }, data: { revision: { increment: 1 } } });
  return domains.map((d) => d.name);
}

@Injectable()
export class UsersRepository {
  constructor(private readonly db: PrismaService) {}

  findByEmail(email: string): Promise<UserWithSecret | null> {
    return this.db.user.findUnique({ where: { email }, select: { ...select, passwordHash: true, sessionVersion: true } });
  }

  sessionState(id: string): Promise<SessionState | null> {
    return this.db.user.findUnique({ where: { id }, select: { role: true, tenantId: true, sessionVersion: true } });
  }

  /** Ends every token issued to the user so far (a sign-out everywhere). */
  async endSessions(userId: string, actor: Principal): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const user = await tx.user.update({ where: { id: userId }, data: { sessionVersion: { increment: 1 } }, select: { tenantId: true, email: true } });
      await recordChange(tx, { actor, tenantId: user.tenantId, action: 'user.sign-out', target: user.email });
    });
  }

  find(id: string): Promise<UserRecord | null> {
    return this.db.user.findUnique({ where: { id }, select });
  }

  findByAddress(addressId: string): Promise<UserRecord | null> {
    return this.db.user.findUnique({ where: { addressId }, select });
  }

  listForTenant(tenantId: string): Promise<UserRecord[]> {
    return this.db.user.findMany({ where: { tenantId }, select, orderBy: { email: 'asc' } });
  }

  /** Creates a user; returns it with the domains whose snapshots changed. */
  async create(
    data: { email: string; passwordHash: string; role: Role; tenantId: string | null; addressId: string | null },
    actor: Principal,
  ): Promise<{ user: UserRecord; domains: string[] }> {
    try {
      return await this.db.$transaction(async (tx) => {
        const user = await tx.user.create({ data, select });
        const domains = await bumpTenantDomains(tx, data.tenantId);
        await recordChange(tx, { actor, tenantId: data.tenantId, action: 'user.create', target: data.email, details: { role: data.role } });
        return { user, domains };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTakenError(data.email, { cause: error });
      throw error;
    }
  }

  async delete(user: UserRecord, actor: Principal): Promise<string[]> {
    return this.db.$transaction(async (tx) => {
      await tx.user.delete({ where: { id: user.id } });
      const domains = await bumpTenantDomains(tx, user.tenantId);
      await recordChange(tx, { actor, tenantId: user.tenantId, action: 'user.delete', target: user.email });
      await revokeKeysMadeBy(tx, user, actor);
      return domains;
    });
  }

  async setPassword(user: UserRecord, passwordHash: string, actor: Principal): Promise<void> {
    await this.db.$transaction(async (tx) => {
      // A new password ends the sessions opened with the old one (a stolen token dies with it).
      await tx.user.update({ where: { id: user.id }, data: { passwordHash, sessionVersion: { increment: 1 } } });
      await recordChange(tx, { actor, tenantId: user.tenantId, action: 'user.password', target: user.email });
    });
  }
}
