import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { PrismaService, isUniqueViolation } from '../db/prisma.service';

/** SPAM14 reports (one per message and tenant). */
@Injectable()
export class FeedbackRepository {
  constructor(private readonly db: PrismaService) {}

  /** False when this message was already reported for the tenant (one message teaches once). */
  async record(tenantId: string, messageId: string, label: string, actor: string): Promise<boolean> {
    try {
      await this.db.feedback.create({ data: { tenantId, messageId, label, actor } });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** The report that taught from this message, if any. */
  async find(tenantId: string, messageId: string) {
    return this.db.feedback.findUnique({ where: { tenantId_messageId: { tenantId, messageId } } });
  }

  async forget(tenantId: string, messageId: string): Promise<void> {
    await this.db.feedback.deleteMany({ where: { tenantId, messageId } });
  }

  /** The audit row of a report that taught (written once learning succeeded). */
  async audit(actor: Principal, tenantId: string, domain: string, messageId: string, kind: string): Promise<void> {
    await this.db.$transaction((tx) => recordChange(tx, { actor, tenantId, domain, action: 'spam.feedback', target: messageId, details: { kind } }));
  }
}
