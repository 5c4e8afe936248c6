import { Injectable } from '@nestjs/common';
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

  async forget(tenantId: string, messageId: string): Promise<void> {
    await this.db.feedback.deleteMany({ where: { tenantId, messageId } });
  }
}
