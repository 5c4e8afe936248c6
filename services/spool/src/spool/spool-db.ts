import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createPrismaAdapter } from '@torii/db';
import { PrismaClient } from '../../generated/prisma';
import { SPOOL_CONFIG, type SpoolConfig } from '../config/spool.config';

export const SPOOL_SCHEMA = 'spool';

/** The Prisma client on the `spool` schema (through @torii/db's patched adapter: no engine binary). */
@Injectable()
export class SpoolDb extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(SPOOL_CONFIG) config: SpoolConfig) {
    super({ adapter: createPrismaAdapter(config.DATABASE_URL, process.env.TORII_DB_SCHEMA || SPOOL_SCHEMA, { max: 10 }) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
