import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createPrismaAdapter, disconnectPrisma } from '@torii/db';
import { PrismaClient } from '../../generated/prisma';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';

export const DELIVERY_SCHEMA = 'delivery';

/** The Prisma client on the `delivery` schema (through @torii/db's patched adapter: no engine binary). */
@Injectable()
export class DeliveryDb extends PrismaClient implements OnApplicationShutdown {
  constructor(@Inject(DELIVERY_CONFIG) config: DeliveryConfig) {
    super({ adapter: createPrismaAdapter(config.DATABASE_URL, process.env.TORII_DB_SCHEMA || DELIVERY_SCHEMA, { max: 20 }) });
  }

  /** Last, after the consumers and workers using this client stopped (they stop before application shutdown). */
  async onApplicationShutdown(): Promise<void> {
    await disconnectPrisma(this, { onTimeout: (message) => new Logger(DeliveryDb.name).warn(message) });
  }
}
