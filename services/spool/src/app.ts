import type { NestExpressApplication } from '@nestjs/platform-express';
import { migrateDeploy, prismaReadiness } from '@torii/db';
import { createServiceApp } from '@torii/http';
import { connectJetStream, NATS_CONNECTION, natsReadiness } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { join } from 'node:path';
import { SpoolModule, type SpoolOverrides } from './app.module';
import type { SpoolConfig } from './config/spool.config';
import { SPOOL_SCHEMA, SpoolDb } from './spool/spool-db';
import { SPOOL_CONSUMERS, SPOOL_STREAMS } from './spool/streams';

export interface SpoolAppOptions extends SpoolOverrides {
  /** Nest logger; `false` silences it (tests). */
  logger?: false;
}

/** Migrations (when enabled), the Nest app with its JetStream consumer started; not yet listening on HTTP. */
export async function createSpoolApp(config: SpoolConfig, options: SpoolAppOptions = {}): Promise<NestExpressApplication> {
  if (config.MIGRATE_ON_BOOT) {
    await migrateDeploy({
      databaseUrl: config.DATABASE_URL,
      schema: process.env.TORII_DB_SCHEMA || SPOOL_SCHEMA,
      prismaConfigPath: join(__dirname, '..', 'prisma.config.ts'),
    });
  }
  const app = await createServiceApp({
    name: 'spool',
    readiness: (nest) => ({
      database: prismaReadiness(nest.get(SpoolDb)),
      nats: natsReadiness(nest.get(NATS_CONNECTION)),
      storage: () => nest.get(ObjectStore).ping(),
    }),
    module: SpoolModule.forRoot(config, options),
    openapi: { title: 'Torii spool', description: 'Secondary mail server: spooled mail per domain, flush, capacity', version: '1' },
    logLevel: config.LOG_LEVEL,
    ...(options.logger === false ? { logger: false } : {}),
  });
  connectJetStream(app, { servers: config.NATS_URL, name: 'spool', streams: SPOOL_STREAMS, consumers: SPOOL_CONSUMERS });
  // Bootstrap first (the directory cache opens there), then the consumers: a backlog taken in before would find
  // no directory. app.listen() later does not run the hooks again.
  await app.init();
  await app.startAllMicroservices();
  return app;
}
