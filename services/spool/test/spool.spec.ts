// The spool against real NATS (a private server), Postgres, s3rver and SMTP sinks. Delivery's part is
// played by a small double (test/support/delivery-double.ts) that really sends over SMTP to the tenant's
// sink and reports outcomes on the stream as delivery does. Durations are shortened through the env:
// "30 minutes" = 1 s, "4 hours" = 2.5 s, "7 days" = 5 s.
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Codecs, DomainDirectorySchema, NotifyCondition, SPOOL_STATE_KEY, create, type MessageInitShape } from '@torii/contracts';
import { createTestSchema, type TestSchema } from '@torii/db';
import { KvStore, connectNats } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { startNatsServer, startS3Server, startSmtpSink, uniqueName, type NatsServer, type S3Server, type SmtpSink } from '@torii/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { join } from 'node:path';
import { Client } from 'pg';
import { createSpoolApp } from '../src/app';
import { spoolConfigSchema, type SpoolConfig } from '../src/config/spool.config';
import { DeliveryDouble } from './support/delivery-double';

jest.setTimeout(60_000);

let nats: NatsServer;
let s3: S3Server;
let db: TestSchema;
let nc: NatsConnection;
let store: ObjectStore;
let config: SpoolConfig;
let apps: NestExpressApplication[] = [];
let downSink: SmtpSink;
let tenantSink: SmtpSink;
let double: DeliveryDouble;
let pg: Client;
let directory: KvStore<ReturnType<typeof Codecs.domainDirectory.decode>>;

beforeAll(async () => {
  [nats, s3, db, downSink, tenantSink] = await Promise.all([
    startNatsServer(),
    startS3Server(),
    createTestSchema({ schema: 'spool', prismaConfigPath: join(__dirname, '../prisma.config.ts') }),
    startSmtpSink(),
    startSmtpSink(),
  ]);
  await downSink.down();
  config = spoolConfigSchema.parse({
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: uniqueName('spool').replaceAll('_', '-'),
    GATEWAY_HOSTNAME: 'gw.torii.test',
    HTTP_PORT: '0',
    MIGRATE_ON_BOOT: 'false',
    LOG_LEVEL: 'warn',
    SEC_RETRY_INTERVAL: '1s',
    SEC_DELAY_NOTICE_AFTER: '2500ms',
    SEC_GIVE_UP_AFTER: '5s',
    DEFAULT_RETRY_INTERVAL: '1h',
    DEFAULT_DELAY_NOTICE_AFTER: '1h',
    DEFAULT_GIVE_UP_AFTER: '2h',
    SPOOL_CAPACITY_BYTES: '100000',
    WORKER_POLL: '100ms',
    PROBE_INTERVAL: '300ms',
    PROBE_TIMEOUT: '1s',
    STATE_INTERVAL: '200ms',
    RETRY_LEASE: '5s',
    DRAIN_CONCURRENCY: '1',
  });
  pg = new Client({ connectionString: db.url });
  await pg.connect();
  nc = await connectNats({ servers: nats.url, name: 'spool-test' });
  store = ObjectStore.fromEnv(config);
  await store.ensureBucket();
  directory = await KvStore.open(nc, config.DIRECTORY_BUCKET, Codecs.domainDirectory, { create: true });
  // Two replicas on one database: every due message must be retried by exactly one of them.
  apps = [await createSpoolApp(config, { logger: false }), await createSpoolApp(config, { logger: false })];
  await Promise.all(apps.map((app) => app.init()));
  double = await DeliveryDouble.start(nc, store);
});

afterAll(async () => {
  double?.stop();
  await Promise.all(apps.map((app) => app.close()));
  await nc?.drain();
  await pg?.end();
  await Promise.all([nats?.close(), s3?.close(), db?.drop(), downSink?.close(), tenantSink?.close()]);
});

async function putDomain(domain: string, sink: SmtpSink, secondary: boolean): Promise<void> {
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
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function spooled(domain: string): Promise<{ messages: number; lastError: string }> {
  const result = await pg.query<{ messages: number; last_error: string }>(
    `SELECT count(*)::int AS messages, coalesce(max(last_error),'') AS last_error FROM ${db.schema}.spooled_message WHERE domain = $1`,
    [domain],
  );
  return { messages: result.rows[0].messages, lastError: result.rows[0].last_error };
}

it('spools a deferred message, sends the delay DSN after "4 hours" (not for NOTIFY=NEVER), expires it after "7 days"', async () => {
  const domain = `${uniqueName('sec').replaceAll('_', '-')}.test`;
  await putDomain(domain, downSink, true);
  const started = Date.now();
  const warned = await double.handOff({ domain, from: 'alice@sender.test', to: `bob@${domain}`, notify: [] });
  const silent = await double.handOff({ domain, from: 'carol@sender.test', to: `dave@${domain}`, notify: [NotifyCondition.NEVER] });
  await waitUntil('both spooled', async () => (await spooled(domain)).messages === 2 || undefined);
  expect((await spooled(domain)).lastError).toMatch(/^connect: /);

  const dsn = await waitUntil('delay DSN', () => double.submissions.find((s) => s.relatedMessageId === warned));
  expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  expect(dsn.purpose).toBe('dsn-delay');
  expect(dsn.envelope?.mailFrom).toBe('');
  expect(dsn.envelope?.rcptTo[0].address).toBe('alice@sender.test');
  const raw = await double.read(dsn.objectKey);
  expect(raw).toContain('Action: delayed');
  expect(raw).toContain('Auto-Submitted: auto-replied');
  expect(raw).toContain(`Final-Recipient: rfc822;bob@${domain}`);
  expect(raw).toMatch(/Diagnostic-Code: smtp;connect: /);

  // Retries every "30 minutes" meanwhile, each by one replica only.
  expect(double.retries(warned)).toBeGreaterThanOrEqual(1);
  expect(double.duplicateRetries()).toEqual([]);

  await waitUntil('expiry', () => (double.expired.has(warned) && double.expired.has(silent)) || undefined);
  expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
  await waitUntil('removal', async () => (await spooled(domain)).messages === 0 || undefined);
  expect(double.submissions.filter((s) => s.relatedMessageId === silent)).toEqual([]);
});

it('drains a recovered domain in order of arrival, one at a time, each message once across two replicas', async () => {
  const domain = `${uniqueName('rec').replaceAll('_', '-')}.test`;
  await tenantSink.down();
  await putDomain(domain, tenantSink, false);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push(await double.handOff({ domain, from: 'alice@sender.test', to: `u${i}@${domain}`, notify: [] }));
  await waitUntil('all spooled', async () => (await spooled(domain)).messages === 4 || undefined);
  await new Promise((resolve) => setTimeout(resolve, 800)); // a few probes find it down
  expect(tenantSink.messages).toHaveLength(0);

  const upAt = Date.now();
  await tenantSink.up();
  const arrived = await tenantSink.waitFor(4, 15_000);
  expect(arrived[0].receivedAt.getTime() - upAt).toBeLessThan(3_000); // the probe noticed it promptly
  expect(arrived.map((m) => m.envelope.rcptTo[0])).toEqual([0, 1, 2, 3].map((i) => `u${i}@${domain}`));
  expect(double.maxConcurrent(domain)).toBe(1);
  await waitUntil('spool empty', async () => (await spooled(domain)).messages === 0 || undefined);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(tenantSink.messages).toHaveLength(4);
  expect(double.duplicateRetries()).toEqual([]);
});

it('publishes the capacity state for the edge and keeps accepting hand-offs above the limit', async () => {
  const domain = `${uniqueName('full').replaceAll('_', '-')}.test`;
  await putDomain(domain, downSink, true);
  const state = await KvStore.open(nc, config.SPOOL_STATE_BUCKET, Codecs.spoolState, { create: true });
  const big = await double.handOff({ domain, from: 'alice@sender.test', to: `bob@${domain}`, notify: [], declaredSize: 150_000n });
  const full = await waitUntil('full state', async () => {
    const entry = await state.get(SPOOL_STATE_KEY);
    return entry?.value.full && entry.value.downDomains.includes(domain) ? entry.value : undefined;
  });
  expect(full.limitBytes).toBe(100_000n);
  expect(full.spooledBytes).toBeGreaterThanOrEqual(150_000n);
  // Mail already accepted is never dropped for lack of room: it is spooled all the same.
  expect((await spooled(domain)).messages).toBe(1);
  expect(big).toBeTruthy();
});
