import type { NestExpressApplication } from '@nestjs/platform-express';
import { migrateDeploy, prismaReadiness } from '@torii/db';
import { createServiceApp } from '@torii/http';
import { connectJetStream, NATS_CONNECTION, natsReadiness } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { join } from 'node:path';
import { DeliveryModule, type DeliveryOverrides } from './app.module';
import type { DeliveryConfig } from './config/delivery.config';
import { DELIVERY_CONSUMERS, DELIVERY_STREAMS } from './messaging/streams';
import { DELIVERY_SCHEMA, DeliveryDb } from './persistence/delivery-db';

export interface DeliveryAppOptions extends DeliveryOverrides {
  /** Nest logger; `false` silences it (tests). */
  logger?: false;
}

/** Migrations (when enabled), the Nest app with its JetStream consumers started; not yet listening on HTTP. */
export async function createDeliveryApp(config: DeliveryConfig, options: DeliveryAppOptions = {}): Promise<NestExpressApplication> {
  if (config.MIGRATE_ON_BOOT) {
    await migrateDeploy({
      databaseUrl: config.DATABASE_URL,
      schema: process.env.TORII_DB_SCHEMA || DELIVERY_SCHEMA,
      prismaConfigPath: join(__dirname, '..', 'prisma.config.ts'),
    });
  }
  const app = await createServiceApp({
    name: 'delivery',
    readiness: (nest) => ({
      database: prismaReadiness(nest.get(DeliveryDb)),
      nats: natsReadiness(nest.get(NATS_CONNECTION)),
      storage: () => nest.get(ObjectStore).ping(),
    }),
    module: DeliveryModule.forRoot(config, options),
    openapi: { title: 'Torii delivery', description: 'Delivery status per message and recipient', version: '1' },
    logLevel: config.LOG_LEVEL,
    ...(options.logger === false ? { logger: false } : {}),
  });
  connectJetStream(app, {
    servers: config.NATS_URL,
    name: 'delivery',
    streams: DELIVERY_STREAMS,
    consumers: DELIVERY_CONSUMERS,
  });
  // Bootstrap first (the directory cache opens there), then the consumers: a backlog taken in before would find
  // no directory. app.listen() later does not run the hooks again.
  await app.init();
  await app.startAllMicroservices();
  return app;
}
