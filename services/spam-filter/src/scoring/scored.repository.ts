import { Injectable } from '@nestjs/common';
import { PrismaService, isUniqueViolation, type Prisma } from '../db/prisma.service';
import type { CounterIncrement } from '../reports/reports.rules';

export interface ScoredRecord {
  messageId: string;
  tenantId: string;
  domain: string;
  objectKey: string;
  recipients: string[];
  scorePercent: number;
  /** The encoded SpamVerdict, republished as is on a redelivery. */
  verdict: Uint8Array;
  /** What feedback needs to score the message again: envelope, auth, client (no body). */
  input: Prisma.InputJsonValue;
  /** The evidence as the API shows it (src/verdicts/reasons.ts). */
  reasons: Prisma.InputJsonValue;
}

/** The record of every judged message and the report counters, written together (idempotent per message). */
@Injectable()
export class ScoredRepository {
  constructor(private readonly db: PrismaService) {}

  async find(messageId: string) {
    return this.db.scoredMessage.findUnique({ where: { messageId } });
  }

  /**
   * Stores the record and bumps the day's counters in one transaction. Returns false when the message was
   * already recorded (a redelivery, or another replica won): counters are then left alone.
   */
  async record(record: ScoredRecord, day: Date, counters: CounterIncrement[]): Promise<boolean> {
    try {
      await this.db.$transaction(async (tx) => {
        await tx.scoredMessage.create({ data: { ...record, verdict: Buffer.from(record.verdict) } });
        for (const c of counters) {
          const inc = {
            received: { increment: c.received },
            spam: { increment: c.spam },
            tagged: { increment: c.tagged },
            quarantined: { increment: c.quarantined },
            deletedByBlock: { increment: c.deletedByBlock },
            deliveredByAllow: { increment: c.deliveredByAllow },
          };
          await tx.dailyCounter.upsert({
            where: { day_tenantId_domain_address: { day, tenantId: record.tenantId, domain: record.domain, address: c.address } },
            create: {
              day,
              domain: record.domain,
              address: c.address,
              tenantId: record.tenantId,
              received: c.received,
              spam: c.spam,
              tagged: c.tagged,
              quarantined: c.quarantined,
              deletedByBlock: c.deletedByBlock,
              deliveredByAllow: c.deliveredByAllow,
            },
            update: inc,
          });
        }
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}
