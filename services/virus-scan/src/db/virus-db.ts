import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createPrismaAdapter } from '@torii/db';
import { PrismaClient } from '../../generated/prisma';
import { VIRUS_SCAN_CONFIG, type VirusScanConfig } from '../config/virus-scan.config';

export const VIRUS_SCHEMA = 'virus';

/** The Prisma client on the `virus` schema (through @torii/db's patched adapter); only repositories use it. */
@Injectable()
export class VirusDb extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(VIRUS_SCAN_CONFIG) config: VirusScanConfig) {
    super({ adapter: createPrismaAdapter(config.DATABASE_URL, process.env.TORII_DB_SCHEMA || VIRUS_SCHEMA) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
