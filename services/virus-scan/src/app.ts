import type { NestExpressApplication } from '@nestjs/platform-express';
import { migrateDeploy, prismaReadiness } from '@torii/db';
import { createServiceApp } from '@torii/http';
import { connectJetStream, NATS_CONNECTION, natsReadiness } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { join } from 'node:path';
import { VirusScanModule } from './app.module';
import type { VirusScanConfig } from './config/virus-scan.config';
import { VIRUS_SCHEMA, VirusDb } from './db/virus-db';
import { VIRUS_SCAN_STREAMS, virusScanConsumers } from './messaging/streams';

export interface VirusScanAppOptions {
  /** Nest logger; `false` silences it (tests). */
  logger?: false;
}

/** Migrations (when enabled), the Nest app with its JetStream consumer started; not yet listening on HTTP. */
export async function createVirusScanApp(config: VirusScanConfig, options: VirusScanAppOptions = {}): Promise<NestExpressApplication> {
  if (config.MIGRATE_ON_BOOT) {
    await migrateDeploy({
      databaseUrl: config.DATABASE_URL,
      schema: process.env.TORII_DB_SCHEMA || VIRUS_SCHEMA,
      prismaConfigPath: join(__dirname, '..', 'prisma.config.ts'),
    });
  }
  const app = await createServiceApp({
    name: 'virus-scan',
    readiness: (nest) => ({
      database: prismaReadiness(nest.get(VirusDb)),
      nats: natsReadiness(nest.get(NATS_CONNECTION)),
      storage: () => nest.get(ObjectStore).ping(),
    }),
    module: VirusScanModule.forRoot(config),
    openapi: { title: 'Torii virus-scan', description: 'Virus detections and policy per domain', version: '1' },
    logLevel: config.LOG_LEVEL,
    ...(options.logger === false ? { logger: false } : {}),
  });
  connectJetStream(app, {
    servers: config.NATS_URL,
    name: 'virus-scan',
    streams: VIRUS_SCAN_STREAMS,
    consumers: virusScanConsumers(config),
    // clamd away: the event comes back after 5 s, 10 s, 20 s … up to SCAN_RETRY_MAX (fail closed, nothing lost).
    retry: { baseMs: config.SCAN_RETRY_BASE, maxMs: config.SCAN_RETRY_MAX },
  });
  // Bootstrap first (the directory cache opens there), then the consumers: a backlog taken in before would find
  // no directory. app.listen() later does not run the hooks again.
  await app.init();
  await app.startAllMicroservices();
  return app;
}
