import './instrument';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { migrateDeploy, prismaReadiness } from '@torii/db';
import { bootstrapService, createServiceApp } from '@torii/http';
import { AppModule } from './app.module';
import { loadTenantConfig, type TenantConfig } from './config';
import { DB_SCHEMA, PrismaService } from './db/prisma.service';
import { DirectoryStoreRepository } from './directory/directory-store.repository';
import { SeedService } from './seed/seed.service';

const PRISMA_CONFIG = join(__dirname, '..', 'prisma.config.ts');

export const openapi = { title: 'Torii tenant service', version: '0.1.0', description: 'Tenants, domains, addresses, users, API keys, subscriptions, auth' };

/** Raw CSV bodies for address imports (JSON is Nest's default). */
const configure = (app: NestExpressApplication): void => {
  app.useBodyParser('text', { type: ['text/csv', 'text/plain'], limit: '5mb' });
};

/** `/readyz`: the database and NATS (the directory's connection) answer. */
const readiness = (nest: NestExpressApplication) => ({
  database: prismaReadiness(nest.get(PrismaService)),
  nats: () => nest.get(DirectoryStoreRepository).ping(),
});

export async function migrate(config: TenantConfig): Promise<void> {
  await migrateDeploy({ databaseUrl: config.DATABASE_URL, schema: DB_SCHEMA, prismaConfigPath: PRISMA_CONFIG });
}

/** For tests: the app, configured like production, not listening. */
export function createTenantApp(config: TenantConfig, options: { logger?: false } = {}): Promise<NestExpressApplication> {
  return createServiceApp({ name: 'tenant', module: AppModule.forRoot(config), openapi, configure, readiness, ...options });
}

async function main(): Promise<void> {
  const config = loadTenantConfig();
  if (config.MIGRATE_ON_BOOT) await migrate(config);
  if (process.argv[2] === 'seed') {
    // `node dist/main.js seed file.yaml`: provision and exit (the boot also republishes the snapshots).
    const file = process.argv[3];
    if (!file) throw new Error('usage: node dist/main.js seed <file.yaml>');
    const app = await createTenantApp({ ...config, TORII_SEED: undefined, REPUBLISH_ON_BOOT: false });
    await app.init();
    await app.get(SeedService).applyFile(file);
    await app.close();
    return;
  }
  await bootstrapService({ name: 'tenant', module: AppModule.forRoot(config), openapi, configure, readiness, port: config.HTTP_PORT });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
