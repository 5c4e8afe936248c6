/**
 * What the spam-filter end-to-end tests stand on: a private nats-server, s3rver, a Postgres schema, the
 * directory snapshot of the test's domain in the KV bucket, and spam-filter in process with a test JWKS.
 * Delivery, when a test needs it, runs from its build as a child process (startDelivery), as in production.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  Codecs,
  Direction,
  DomainDirectorySchema,
  MailReceivedSchema,
  Streams,
  Subjects,
  create,
  timestampFromDate,
  type DomainDirectory,
  type MailReceived,
  type MessageInitShape,
} from '@torii/contracts';
import { createTestSchema, type TestSchema } from '@torii/db';
import { JetStreamPublisher, KvStore, connectNats, ensureStreams, streamSpecOf } from '@torii/messaging';
import { ObjectStore, messageKey, sidecarKey } from '@torii/storage';
import { startNatsServer, startS3Server, uniqueName, type NatsServer, type S3Server } from '@torii/testing';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createSpamFilterApp } from '../../src/app';
import { spamFilterConfigSchema } from '../../src/config';
import { PrismaService } from '../../src/db/prisma.service';

/** The streams as contracts define them (the services ensure the same at boot). */
const STREAMS = [Streams.MAIL, Streams.VERDICTS, Streams.DELIVERY, Streams.TENANT].map(streamSpecOf);

export interface Testbed {
  nats: NatsServer;
  s3: S3Server;
  nc: NatsConnection;
  publisher: JetStreamPublisher;
  directory: KvStore<DomainDirectory>;
  store: ObjectStore;
  bucket: string;
  app: NestExpressApplication;
  db: () => PrismaService;
  /** A token the app accepts (issuer torii-tenant, audience torii), e.g. `{ sub, role, tid, email }`. */
  sign: (claims: Record<string, unknown>) => Promise<string>;
  /** The environment a delivery child process shares with the app (NATS, S3, brand). */
  common: Record<string, string>;
  /** An inbound message as the edge hands it on: stored, its sidecar beside it, MailReceived published. */
  receive: (arrival: Arrival) => Promise<MailReceived>;
  close: () => Promise<void>;
}

export interface Arrival {
  raw: Buffer;
  to: string[];
  tenantId: string;
  domain: string;
  /** A new Torii id when absent. */
  messageId?: string;
  /** Now when absent. */
  receivedAt?: Date;
  /** `bounce@sender.example` when absent. */
  mailFrom?: string;
  /** The edge's authentication results; SPF pass for sender.example when absent. */
  auth?: MessageInitShape<typeof MailReceivedSchema>['auth'];
}

export interface TestbedOptions {
  /** The NATS client name, for the server's logs. */
  name: string;
  /** The test domain's directory snapshot (written before the app starts). */
  directory: MessageInitShape<typeof DomainDirectorySchema>;
  /** More spam-filter configuration (strings, as in the environment). */
  config?: Record<string, string>;
}

export async function startTestbed(options: TestbedOptions): Promise<Testbed> {
  const [nats, s3] = await Promise.all([startNatsServer(), startS3Server()]);
  const spamDb: TestSchema = await createTestSchema({ schema: 'spam', prismaConfigPath: join(__dirname, '..', '..', 'prisma.config.ts') });
  const bucket = uniqueName('mail').replaceAll('_', '-');
  const nc = await connectNats({ servers: nats.url, name: options.name });
  await ensureStreams(await jetstreamManager(nc), STREAMS);
  const directory = await KvStore.open(nc, 'directory', Codecs.domainDirectory, { create: true });
  await directory.put(String(options.directory.domain), create(DomainDirectorySchema, options.directory));

  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setIssuer('torii-tenant').setAudience('torii').setIssuedAt().setExpirationTime('10m').sign(privateKey);

  const common = { NATS_URL: nats.url, S3_ENDPOINT: s3.endpoint, S3_BUCKET: bucket, TORII_BRAND: 'Acme', HTTP_PORT: '0' };
  const store = ObjectStore.fromEnv({ S3_ENDPOINT: s3.endpoint, S3_BUCKET: bucket } as never);
  await store.ensureBucket();
  const config = spamFilterConfigSchema.parse({
    ...common,
    DATABASE_URL: spamDb.url,
    MIGRATE_ON_BOOT: 'false',
    LOG_LEVEL: process.env.E2E_LOGS ? 'debug' : 'warn',
    SPAM_MODEL_WATCH: '0',
    ...options.config,
  });
  const app = await createSpamFilterApp(config, { ...(process.env.E2E_LOGS ? {} : { logger: false as const }), jwks: { keys: async () => ({ keys: [jwk] }) } });
  await app.init();

  const publisher = new JetStreamPublisher(nc);
  const receive = async (arrival: Arrival): Promise<MailReceived> => {
    const messageId = arrival.messageId ?? `01${randomBytes(12).toString('hex').toUpperCase()}`.slice(0, 26);
    const receivedAt = arrival.receivedAt ?? new Date();
    const key = messageKey({ tenantId: arrival.tenantId, messageId, receivedAt });
    await store.put(key, Readable.from([arrival.raw]));
    const event = create(MailReceivedSchema, {
      messageId,
      tenantId: arrival.tenantId,
      domain: arrival.domain,
      direction: Direction.INBOUND,
      envelope: { mailFrom: arrival.mailFrom ?? 'bounce@sender.example', rcptTo: arrival.to.map((address) => ({ address })) },
      client: { ip: '192.0.2.7', port: 40000, helo: 'mx.sender.example', ptr: 'mx.sender.example' },
      auth: arrival.auth ?? { spf: { result: 'pass', domain: 'sender.example' } },
      receivedAt: timestampFromDate(receivedAt),
      size: BigInt(arrival.raw.length),
      sha256: createHash('sha256').update(arrival.raw).digest('hex'),
      bucket,
      objectKey: key,
      receivedBy: 'edge.torii.test',
    });
    // The claim check as the edge does it: the sidecar beside the object, then the event (delivery ignores an
    // event whose sidecar is gone: that is a copy the edge withdrew).
    await store.put(sidecarKey(key), Readable.from([Buffer.from(Codecs.mailReceived.encode(event))]));
    await publisher.publish(Subjects.mailReceivedIn, Codecs.mailReceived, event, { msgId: messageId });
    return event;
  };

  return {
    nats,
    s3,
    nc,
    publisher,
    receive,
    directory,
    store,
    bucket,
    app,
    db: () => app.get(PrismaService),
    sign,
    common,
    close: async () => {
      await app.close();
      await nc.close();
      await s3.close();
      await nats.close();
      await spamDb.drop();
    },
  };
}

/** Delivery from its build (a path, not an import of a service), on its own schema; resolves once it listens. */
export async function startDelivery(env: Record<string, string>): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const deliveryRoot = join(__dirname, '..', '..', '..', 'delivery');
  const db = await createTestSchema({ schema: 'delivery', prismaConfigPath: join(deliveryRoot, 'prisma.config.ts') });
  const child = spawn(process.execPath, [join(deliveryRoot, 'dist', 'main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      MIGRATE_ON_BOOT: 'false',
      GATEWAY_HOSTNAME: 'gw.torii.test',
      WORKER_POLL: '100ms',
      OUTBOX_POLL: '100ms',
      RECONCILE_ENABLED: 'false',
      RETRY_DELAYS: '300ms',
      LOG_LEVEL: 'info',
      DNS_OVERRIDES_FILE: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`delivery did not start:\n${output}`)), 30_000);
    const watch = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', watch);
    if (process.env.E2E_LOGS) child.stderr?.on('data', (c: Buffer) => process.stderr.write(c));
    child.stderr?.on('data', watch);
    child.once('exit', (code) => reject(new Error(`delivery exited ${code}:\n${output}`)));
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await db.drop();
  };
  return { child, stop };
}

/** Polls `probe` until it gives something truthy, which it returns; fails after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
