import type { Principal } from '@torii/auth';
import { Prisma, type Tx } from '../db/prisma.service';

export interface Change {
  actor: Pick<Principal, 'subject' | 'role'>;
  tenantId?: string | null;
  /** The domain the change affects: its revision is bumped in the same transaction (snapshot order). */
  domain?: { id: string; name: string };
  /** The name of a domain that no longer exists (its deletion): logged with the entry, nothing bumped. */
  domainName?: string;
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

/** Writes who changed what into the audit log, inside the caller's transaction. */
export async function recordChange(tx: Tx, change: Change): Promise<void> {
  if (change.domain) await tx.domain.update({ where: { id: change.domain.id }, data: { revision: { increment: 1 } } });
  await tx.auditLog.create({
    data: {
      actor: change.actor.subject,
      actorRole: change.actor.role,
      tenantId: change.tenantId ?? null,
      domain: change.domain?.name ?? change.domainName ?? null,
      action: change.action,
      target: change.target,
      details: change.details === undefined ? Prisma.JsonNull : (change.details as Prisma.InputJsonValue),
    },
  });
}
