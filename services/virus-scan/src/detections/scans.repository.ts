import { Injectable } from '@nestjs/common';
import type { Finding, ScanStatus } from '../scan/verdict.rules';
import { VirusDb } from '../db/virus-db';
import type { Prisma } from '../../generated/prisma';

export interface ScanRecord {
  messageId: string;
  tenantId: string;
  domain: string;
  direction: 'inbound' | 'outbound';
  status: ScanStatus;
  findings: Finding[];
  engine: string;
  at: Date;
}

export interface DetectionDay {
  day: string;
  status: ScanStatus;
  direction: 'inbound' | 'outbound';
  messages: number;
}

/** The `virus` schema: one row per scanned message; counts per domain and day are read from it. */
@Injectable()
export class ScansRepository {
  constructor(private readonly db: VirusDb) {}

  /** Idempotent: a redelivered event keeps the first row (and is not counted twice). */
  async record(scan: ScanRecord): Promise<void> {
    await this.db.scan.createMany({
      data: [
        {
          messageId: scan.messageId,
          tenantId: scan.tenantId,
          domain: scan.domain,
          day: new Date(scan.at.toISOString().slice(0, 10)),
          direction: scan.direction,
          status: scan.status,
          findings: scan.findings as unknown as Prisma.InputJsonValue,
          engine: scan.engine,
        },
      ],
      skipDuplicates: true,
    });
  }

  async countsPerDay(tenantId: string, domain: string, from: Date, to: Date): Promise<DetectionDay[]> {
    const rows = await this.db.scan.groupBy({
      by: ['day', 'status', 'direction'],
      where: { tenantId, domain, day: { gte: from, lte: to } },
      _count: { _all: true },
      orderBy: [{ day: 'asc' }, { status: 'asc' }, { direction: 'asc' }],
    });
    return rows.map((r) => ({ day: r.day.toISOString().slice(0, 10), status: r.status, direction: r.direction, messages: r._count._all }));
  }

  async recentDetections(tenantId: string, domain: string, limit: number) {
    return this.db.scan.findMany({
      where: { tenantId, domain, status: { not: 'clean' } },
      orderBy: { scannedAt: 'desc' },
      take: limit,
      select: { messageId: true, direction: true, status: true, findings: true, engine: true, scannedAt: true },
    });
  }
}
