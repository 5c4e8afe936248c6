import { Injectable } from '@nestjs/common';
import { PrismaService } from '../db/prisma.service';
import type { CounterRow } from './reports.rules';

/**
 * Daily counters (schema spam), always read for one tenant: a domain's counters belong to the tenant that had
 * the domain that day, so a domain moved to another tenant shows the new tenant only its own days.
 */
@Injectable()
export class ReportsRepository {
  constructor(private readonly db: PrismaService) {}

  async rows(tenantId: string, domain: string, address: string, from: Date, to: Date): Promise<CounterRow[]> {
    return this.db.dailyCounter.findMany({
      where: { tenantId, domain, address, day: { gte: from, lt: to } },
      select: { day: true, received: true, spam: true, tagged: true, quarantined: true, deletedByBlock: true, deliveredByAllow: true },
      orderBy: { day: 'asc' },
    });
  }

  /** Addresses that have counters in the range (for the domain's per-address report). */
  async addresses(tenantId: string, domain: string, from: Date, to: Date): Promise<string[]> {
    const rows = await this.db.dailyCounter.findMany({
      where: { tenantId, domain, day: { gte: from, lt: to }, address: { not: '' } },
      distinct: ['address'],
      select: { address: true },
      orderBy: { address: 'asc' },
    });
    return rows.map((r) => r.address);
  }

  async prune(before: Date): Promise<number> {
    return (await this.db.dailyCounter.deleteMany({ where: { day: { lt: before } } })).count;
  }
}
