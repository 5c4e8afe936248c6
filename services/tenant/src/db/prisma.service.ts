import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createPrismaAdapter } from '@torii/db';
import { Prisma, PrismaClient } from '../../generated/prisma';

/** The service's Postgres schema. */
export const DB_SCHEMA = 'tenant';

/** The Prisma client on our patched driver adapter (see @torii/db); only repositories use it. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(databaseUrl: string) {
    super({ adapter: createPrismaAdapter(databaseUrl, DB_SCHEMA) });
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
