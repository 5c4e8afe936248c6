import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createPrismaAdapter, disconnectPrisma } from '@torii/db';
import { PrismaClient } from '../../generated/prisma';
import { VIRUS_SCAN_CONFIG, type VirusScanConfig } from '../config/virus-scan.config';

export const VIRUS_SCHEMA = 'virus';

/** The Prisma client on the `virus` schema (through @torii/db's patched adapter); only repositories use it. */
@Injectable()
export class VirusDb extends PrismaClient implements OnApplicationShutdown {
  constructor(@Inject(VIRUS_SCAN_CONFIG) config: VirusScanConfig) {
    super({ adapter: createPrismaAdapter(config.DATABASE_URL, process.env.TORII_DB_SCHEMA || VIRUS_SCHEMA) });
  }

  /** Last, after the consumers and workers using this client stopped (they stop before application shutdown). */
  async onApplicationShutdown(): Promise<void> {
    await disconnectPrisma(this, { onTimeout: (message) => new Logger(VirusDb.name).warn(message) });
  }
}
