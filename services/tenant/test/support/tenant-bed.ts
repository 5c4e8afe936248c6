/**
 * What the tenant service's e2e suites stand on: a fresh database with the tenant schema, `replicas` apps on it
 * (the first republishes the directory at boot, the others do not), a private directory KV bucket on the test
 * NATS, and an operator seeded and logged in.
 */
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createTestSchema, type TestSchema } from '@torii/db';
import { TEST_NATS_URL, uniqueName } from '@torii/testing';
import request from 'supertest';
import { parseTenantConfig } from '../../src/config';
import { createTenantApp } from '../../src/main';
import { SeedService } from '../../src/seed/seed.service';

export interface TenantBed {
  db: TestSchema;
  apps: NestExpressApplication[];
  nc: NatsConnection;
  /** The directory KV bucket of this bed. */
  bucket: string;
  /** The seeded operator's login token. */
  operator: string;
  /** Requests to one replica (the first by default). */
  http(replica?: number): ReturnType<typeof request>;
  close(): Promise<void>;
}

export const prismaConfigPath = join(__dirname, '..', '..', 'prisma.config.ts');

/** `env` is added to the test defaults. */
export async function startTenantBed(options: { env?: Record<string, string>; replicas?: number } = {}): Promise<TenantBed> {
  const db = await createTestSchema({ schema: 'tenant', prismaConfigPath });
  const bucket = uniqueName('dir');
  const config = parseTenantConfig({ DATABASE_URL: db.url, NATS_URL: TEST_NATS_URL, DIRECTORY_BUCKET: bucket, MIGRATE_ON_BOOT: 'false', ...options.env });
  const apps: NestExpressApplication[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    const app = await createTenantApp(i === 0 ? config : { ...config, REPUBLISH_ON_BOOT: false }, { logger: false });
    await app.init();
    apps.push(app);
  }
  await apps[0].get(SeedService).apply({ operators: [{ email: 'op@torii.local', password: 'operator-pw' }], tenants: [] });
  const http = (replica = 0) => request(apps[replica].getHttpServer());
  const login = await http().post('/v1/auth/login').send({ email: 'op@torii.local', password: 'operator-pw' }).expect(200);
  const operator = (login.body as { token: string }).token;
  const nc = await connect({ servers: TEST_NATS_URL });
  return {
    db,
    apps,
    nc,
    bucket,
    operator,
    http,
    async close() {
      for (const app of apps) await app.close();
      await new Kvm(nc)
        .open(bucket)
        .then(async (kv) => kv.destroy())
        .catch(() => undefined);
      await nc.close();
      await db.drop();
    },
  };
}
