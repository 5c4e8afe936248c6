import { Injectable } from '@nestjs/common';
import type { SerializedDelta } from '@torii/spam-engine';
import { PrismaService, type Prisma } from '../db/prisma.service';

/** Tenants' learned deltas (schema spam). */
@Injectable()
export class DeltaRepository {
  constructor(private readonly db: PrismaService) {}

  async all(): Promise<{ tenantId: string; delta: unknown }[]> {
    return this.db.tenantDelta.findMany({ select: { tenantId: true, delta: true } });
  }

  async save(tenantId: string, delta: SerializedDelta): Promise<void> {
    const json = delta as unknown as Prisma.InputJsonValue;
    await this.db.tenantDelta.upsert({
      where: { tenantId },
      create: { tenantId, delta: json, reports: 1 },
      update: { delta: json, reports: { increment: 1 } },
    });
  }
}
