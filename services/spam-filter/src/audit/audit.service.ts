import { Injectable } from '@nestjs/common';
import { PrismaService } from '../db/prisma.service';
import { PolicyService } from '../policy/policy.service';

export interface AuditEntryView {
  /** Position in the log: pass it as `before` to read on from there. */
  id: string;
  at: string;
  actor: string;
  actorRole: string;
  action: string;
  target: string;
  details: unknown;
}

/** A domain's audit log, newest first, a page at a time (the log itself is kept whole). */
@Injectable()
export class AuditService {
  constructor(
    private readonly policies: PolicyService,
    private readonly db: PrismaService,
  ) {}

  async list(tenantId: string, domain: string, page: { limit: number; before?: bigint; action?: string }): Promise<AuditEntryView[]> {
    const name = await this.policies.ownedDomain(tenantId, domain);
    const rows = await this.db.auditLog.findMany({
      where: { tenantId, domain: name, ...(page.before !== undefined ? { id: { lt: page.before } } : {}), ...(page.action ? { action: page.action } : {}) },
      orderBy: { id: 'desc' },
      take: page.limit,
    });
    return rows.map((r) => ({ id: String(r.id), at: r.at.toISOString(), actor: r.actor, actorRole: r.actorRole, action: r.action, target: r.target, details: r.details }));
  }
}
