import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createPrismaAdapter } from '@torii/db';
import { Prisma, PrismaClient } from '../../generated/prisma';

/** The service's Postgres schema (TORII_DB_SCHEMA overrides it in tests). */
export const DB_SCHEMA = 'spam';

export const dbSchema = (): string => process.env.TORII_DB_SCHEMA || DB_SCHEMA;

/** The Prisma client on our patched driver adapter (see @torii/db); only repositories use it. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(databaseUrl: string) {
    super({ adapter: createPrismaAdapter(databaseUrl, dbSchema()) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}

export type Tx = Prisma.TransactionClient;
export { Prisma };

/** Postgres unique violation, as Prisma reports it. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
