import type { Principal } from '@torii/auth';
import { Prisma, type Tx } from '../db/prisma.service';

/** Every action the spam audit log records; `GET …/spam/audit?action=` takes one of these. */
export const SPAM_AUDIT_ACTIONS = [
  'spam.domain-policy.set',
  'spam.domain-policy.reset',
  'spam.address-policy.set',
  'spam.allow-list.add',
  'spam.allow-list.remove',
  'spam.block-list.add',
  'spam.block-list.remove',
  'spam.feedback',
  'spam.quarantine.view',
  'spam.quarantine.download',
  'spam.quarantine.release',
  'spam.quarantine.release-allow',
  'spam.quarantine.forward',
  'spam.quarantine.delete',
  'spam.quarantine.settings',
  'spam.quarantine.purge',
  'spam.address.purge',
  'spam.domain.purge',
] as const;
export type SpamAuditAction = (typeof SPAM_AUDIT_ACTIONS)[number];

export interface Change {
  actor: Pick<Principal, 'subject' | 'role'>;
  tenantId: string;
  domain: string;
  action: SpamAuditAction;
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
