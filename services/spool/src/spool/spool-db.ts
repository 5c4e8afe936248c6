import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createPrismaAdapter, disconnectPrisma } from '@torii/db';
import { PrismaClient } from '../../generated/prisma';
import { SPOOL_CONFIG, type SpoolConfig } from '../config/spool.config';

export const SPOOL_SCHEMA = 'spool';

/** The Prisma client on the `spool` schema (through @torii/db's patched adapter: no engine binary). */
@Injectable()
export class SpoolDb extends PrismaClient implements OnApplicationShutdown {
  constructor(@Inject(SPOOL_CONFIG) config: SpoolConfig) {
    super({ adapter: createPrismaAdapter(config.DATABASE_URL, process.env.TORII_DB_SCHEMA || SPOOL_SCHEMA, { max: 10 }) });
  }

  /** Last, after the consumers and workers using this client stopped (they stop before application shutdown). */
  async onApplicationShutdown(): Promise<void> {
    await disconnectPrisma(this, { onTimeout: (message) => new Logger(SpoolDb.name).warn(message) });
  }
}
