import { Injectable } from '@nestjs/common';
import type { ModelDelta } from '@torii/spam-engine';
import { PrismaService, type Prisma } from '../db/prisma.service';

/** The transaction a delta update runs in (for the rows that belong with it: the report, its audit). */
export type DeltaTransaction = Prisma.TransactionClient;

/** Tenants' learned deltas (schema spam). */
@Injectable()
export class DeltaRepository {
  constructor(private readonly db: PrismaService) {}

  async all(): Promise<{ tenantId: string; delta: unknown }[]> {
    return this.db.tenantDelta.findMany({ select: { tenantId: true, delta: true } });
  }

  /**
   * Read, change and save a tenant's delta as one step: a transaction-scoped advisory lock per tenant orders
   * concurrent updates (from any replica), so none overwrites another. `step` gets the stored delta (undefined
   * when there is none) and returns the new one; `within` writes its own rows in the same transaction.
   */
  async update(tenantId: string, step: (stored: unknown) => ModelDelta, within?: (tx: DeltaTransaction) => Promise<void>): Promise<ModelDelta> {
    return this.db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`spam-delta:${tenantId}`}))`;
        if (within) await within(tx);
        const row = await tx.tenantDelta.findUnique({ where: { tenantId }, select: { delta: true } });
        const delta = step(row?.delta ?? undefined);
        const json = delta.toJSON() as unknown as Prisma.InputJsonValue;
        await tx.tenantDelta.upsert({
          where: { tenantId },
          create: { tenantId, delta: json, reports: 1 },
          update: { delta: json, reports: { increment: 1 } },
        });
        return delta;
      },
      { timeout: 30_000 },
    );
  }
}
