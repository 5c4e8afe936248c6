/**
 * What the spool's service tests stand on: a private nats-server, s3rver, a Postgres schema, spool replicas in
 * process and the delivery double (delivery-double.ts), with durations shortened through `env`.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Codecs, DomainDirectorySchema, create, type MessageInitShape } from '@torii/contracts';
import { createTestSchema, type TestSchema } from '@torii/db';
import { KvStore, connectNats } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { startNatsServer, startS3Server, uniqueName, type NatsServer, type S3Server, type SmtpSink } from '@torii/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { join } from 'node:path';
import { Client } from 'pg';
import { createSpoolApp } from '../../src/app';
import { spoolConfigSchema, type SpoolConfig } from '../../src/config/spool.config';
import { DeliveryDouble } from './delivery-double';

export interface SpoolBed {
  nats: NatsServer;
  s3: S3Server;
  db: TestSchema;
  nc: NatsConnection;
  store: ObjectStore;
  config: SpoolConfig;
  apps: NestExpressApplication[];
  double: DeliveryDouble;
  /** A plain connection to the spool's schema (`db.schema`), for what the tests read directly. */
  pg: Client;
  /** The domain's directory entry, subscribed to the secondary service or not, its server at `sink`. */
  putDomain(domain: string, sink: SmtpSink, secondary?: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Starts everything; `replicas` spool apps on one database (default 1). */
export async function startSpoolBed(options: { name: string; env: Record<string, string>; replicas?: number }): Promise<SpoolBed> {
  const [nats, s3, db] = await Promise.all([
    startNatsServer(),
    startS3Server(),
    createTestSchema({ schema: 'spool', prismaConfigPath: join(__dirname, '../../prisma.config.ts') }),
  ]);
  const config = spoolConfigSchema.parse({
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: uniqueName(options.name).replaceAll('_', '-'),
    GATEWAY_HOSTNAME: 'gw.torii.test',
    HTTP_PORT: '0',
    MIGRATE_ON_BOOT: 'false',
    LOG_LEVEL: 'warn',
    // A fast worker: polls, probes and the edge's state in fractions of a second.
    WORKER_POLL: '100ms',
    PROBE_INTERVAL: '300ms',
    PROBE_TIMEOUT: '1s',
    STATE_INTERVAL: '200ms',
    RETRY_LEASE: '5s',
    DRAIN_CONCURRENCY: '1',
    ...options.env,
  });
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const nc = await connectNats({ servers: nats.url, name: `${options.name}-test` });
  const store = ObjectStore.fromEnv(config);
  await store.ensureBucket();
  const directory = await KvStore.open(nc, config.DIRECTORY_BUCKET, Codecs.domainDirectory, { create: true });
  const apps: NestExpressApplication[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) apps.push(await createSpoolApp(config, { logger: false }));
  await Promise.all(apps.map((app) => app.init()));
  const double = await DeliveryDouble.start(nc, store);
  return {
    nats,
    s3,
    db,
    nc,
    store,
    config,
    apps,
    double,
    pg,
    async putDomain(domain, sink, secondary = true) {
      await directory.put(
        domain,
        create(DomainDirectorySchema, {
          domain,
          tenantId: 'tenant1',
          active: true,
          services: { secondary: { subscribed: secondary } },
          server: { hostname: `mail.${domain}`, ips: ['127.0.0.1'], port: sink.port },
        } as MessageInitShape<typeof DomainDirectorySchema>),
      );
    },
    async close() {
      double.stop();
      await Promise.all(apps.map((app) => app.close()));
      await nc.drain();
      await pg.end();
      await Promise.all([nats.close(), s3.close(), db.drop()]);
    },
  };
}

/** Polls `probe` until it answers something other than undefined or false. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
