import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { PrismaService } from '../db/prisma.service';
import type { DeltaTransaction } from '../model/delta.repository';

/** SPAM14 reports (one per message and tenant). */
@Injectable()
export class FeedbackRepository {
  constructor(private readonly db: PrismaService) {}

  /** Records the report in the learning transaction; false when this message was already reported for the tenant (one message teaches once). */
  async record(tx: DeltaTransaction, tenantId: string, messageId: string, label: string, actor: string): Promise<boolean> {
    // ON CONFLICT rather than catching the unique violation: an error would abort the transaction.
    const { count } = await tx.feedback.createMany({ data: [{ tenantId, messageId, label, actor }], skipDuplicates: true });
    return count === 1;
  }

  /** The report that taught from this message, if any. */
  async find(tenantId: string, messageId: string) {
    return this.db.feedback.findUnique({ where: { tenantId_messageId: { tenantId, messageId } } });
  }

  /** The audit row of a report that taught, in the learning transaction. */
  async audit(tx: DeltaTransaction, actor: Principal, tenantId: string, domain: string, messageId: string, kind: string): Promise<void> {
    await recordChange(tx, { actor, tenantId, domain, action: 'spam.feedback', target: messageId, details: { kind } });
  }
}
