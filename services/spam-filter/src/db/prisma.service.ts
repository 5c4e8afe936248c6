import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createPrismaAdapter, disconnectPrisma } from '@torii/db';
import { Prisma, PrismaClient } from '../../generated/prisma';

/** The service's Postgres schema (TORII_DB_SCHEMA overrides it in tests). */
export const DB_SCHEMA = 'spam';

export const dbSchema = (): string => process.env.TORII_DB_SCHEMA || DB_SCHEMA;

/** The Prisma client on our patched driver adapter (see @torii/db); only repositories use it. */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(databaseUrl: string) {
    super({ adapter: createPrismaAdapter(databaseUrl, dbSchema()) });
  }

  /** Last, after the consumers and workers using this client stopped (they stop before application shutdown). */
  async onApplicationShutdown(): Promise<void> {
    await disconnectPrisma(this, { onTimeout: (message) => new Logger(PrismaService.name).warn(message) });
  }
}

export type Tx = Prisma.TransactionClient;
export { Prisma };

/** Postgres unique violation, as Prisma reports it. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
