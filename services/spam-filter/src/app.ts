import type { NestExpressApplication } from '@nestjs/platform-express';
import { migrateDeploy, prismaReadiness } from '@torii/db';
import { createServiceApp } from '@torii/http';
import { connectJetStream, NATS_CONNECTION, natsReadiness } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { join } from 'node:path';
import { AppModule, type SpamFilterOverrides } from './app.module';
import type { SpamFilterConfig } from './config';
import { dbSchema, PrismaService } from './db/prisma.service';
import { SPAM_FILTER_STREAMS, spamFilterConsumers } from './messaging/streams';

export const openapi = {
  title: 'Torii spam filter',
  version: '1',
  description: 'Spam policies (threshold, action, priority), allow and block lists, feedback and reports (SPAM4-9, 14, 15)',
};

export interface SpamFilterAppOptions extends SpamFilterOverrides {
  /** Nest logger; `false` silences it (tests). */
  logger?: false;
}

/** Migrations (when enabled), the Nest app with its JetStream consumer started; not yet listening on HTTP. */
export async function createSpamFilterApp(config: SpamFilterConfig, options: SpamFilterAppOptions = {}): Promise<NestExpressApplication> {
  if (config.MIGRATE_ON_BOOT) {
    await migrateDeploy({ databaseUrl: config.DATABASE_URL, schema: dbSchema(), prismaConfigPath: join(__dirname, '..', 'prisma.config.ts') });
  }
  const app = await createServiceApp({
    name: 'spam-filter',
    readiness: (nest) => ({
      database: prismaReadiness(nest.get(PrismaService)),
      nats: natsReadiness(nest.get(NATS_CONNECTION)),
      storage: () => nest.get(ObjectStore).ping(),
    }),
    module: AppModule.forRoot(config, options),
    openapi,
    logLevel: config.LOG_LEVEL,
    ...(options.logger === false ? { logger: false } : {}),
  });
  connectJetStream(app, {
    servers: config.NATS_URL,
    name: 'spam-filter',
    streams: SPAM_FILTER_STREAMS,
    consumers: spamFilterConsumers(config.CONSUMER_CONCURRENCY),
  });
  // Bootstrap first (the directory cache opens there), then the consumers: a backlog taken in before would find
  // no directory. app.listen() later does not run the hooks again.
  await app.init();
  await app.startAllMicroservices();
  return app;
}
