import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createPrismaAdapter } from '@torii/db';
import { PrismaClient } from '../../generated/prisma';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';

export const DELIVERY_SCHEMA = 'delivery';

/** The Prisma client on the `delivery` schema (through @torii/db's patched adapter: no engine binary). */
@Injectable()
export class DeliveryDb extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(DELIVERY_CONFIG) config: DeliveryConfig) {
    super({ adapter: createPrismaAdapter(config.DATABASE_URL, process.env.TORII_DB_SCHEMA || DELIVERY_SCHEMA, { max: 20 }) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
