import type { Principal } from '@torii/auth';
import { Prisma, type Tx } from '../db/prisma.service';

export interface Change {
  actor: Pick<Principal, 'subject' | 'role'>;
  tenantId: string;
  domain: string;
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

/** Writes who changed what into the audit log, inside the caller's transaction. */
export async function recordChange(tx: Tx, change: Change): Promise<void> {
  await tx.auditLog.create({
    data: {
      actor: change.actor.subject,
      actorRole: change.actor.role,
      tenantId: change.tenantId,
      domain: change.domain,
      action: change.action,
      target: change.target,
      details: change.details === undefined ? Prisma.JsonNull : (change.details as Prisma.InputJsonValue),
    },
  });
}
