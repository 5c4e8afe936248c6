import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  startNatsServer,
  startS3Server,
  startSmtpSink,
  uniqueName,
  type NatsServer,
  type S3Server,
  type SmtpSink,
  type TestDatabase,
} from '@torii/testing';
import { startClamd, stopClamd, type Clamd } from './clamd';
import { freePort, ServiceProcess } from './services';

/** Our gateway's name: the edge's greeting and authserv-id, delivery's `Received: by` and A-R id. */
export const GATEWAY = 'mx.torii.test';

/** The tenant's registered mail server: its IP (a second loopback address), name and the edge's PTR for it. */
export const TENANT_SERVER_IP = '127.0.0.2';
export const TENANT_SERVER_NAME = 'mail.acme.test';

/** Every Internet domain used by the tests has its MX on the Internet sink (127.0.0.1). */
export const INTERNET_DOMAINS = ['remote.test', 'sender.test'];

export const OPERATOR = { email: 'operator@torii.test', password: 'operator-password' };
export const ADMIN = { email: 'admin@acme.test', password: 'admin-password' };

export interface SeedDomain {
  name: string;
  services: ('spam' | 'virus' | 'archive' | 'secondary')[];
  addresses: string[];
  /** The domain's mail server; acme's server (the tenant sink on 127.0.0.2) when unset. */
  server?: { hostname: string; ips: string[]; port: number };
}

/**
 * The acme tenant: `acme.test` (secondary only: the verdict join waits for no filter service, which do not
 * run here) and `guarded.test` (spam subscribed, so unknown recipients are refused at RCPT).
 */
export const DEFAULT_DOMAINS: SeedDomain[] = [
  { name: 'acme.test', services: ['secondary'], addresses: ['alice', 'bob', 'postmaster'] },
  { name: 'guarded.test', services: ['spam'], addresses: ['alice'] },
];

export interface StackOptions {
  domains?: SeedDomain[];
  deliveryEnv?: Record<string, string>;
  edgeEnv?: Record<string, string>;
  /**
   * Also run virus-scan, with a clamd of this stack's own (tools/clamd/start.sh on a free port, stopped in
   * close()). Seed domains subscribing `virus` so delivery waits for its verdict.
   */
  virusScan?: boolean;
  virusScanEnv?: Record<string, string>;
  /** Also run the spool, and delivery with DEFERRAL_MODE=spool (short schedules go in spoolEnv). */
  spool?: boolean;
  spoolEnv?: Record<string, string>;
  /** Spool replicas on the same database (default 1); the others start once the first has migrated. */
  spoolReplicas?: number;
  /** Also run spam-filter (its shipped model). Seed domains subscribing `spam` so delivery waits for its verdict. */
  spamFilter?: boolean;
  spamFilterEnv?: Record<string, string>;
  /** More records for the edge's resolver, by type then name (e.g. `{ TXT: { 'x.test': [['v=spf1 …']] } }`). */
  edgeDnsRecords?: Record<string, Record<string, unknown[]>>;
}

export interface Stack {
  nats: NatsServer;
  db: TestDatabase;
  s3: S3Server;
  /** acme's own mail server, on 127.0.0.2. */
  tenantSink: SmtpSink;
  /** Every MX on the Internet (recipients of outbound mail, senders that get DSNs). */
  internetSink: SmtpSink;
  tenant: ServiceProcess;
  delivery: ServiceProcess;
  edge: ServiceProcess;
  /** With `virusScan`: the service and its clamd (stop/start it to play an outage). */
  virusScan?: ServiceProcess;
  clamd?: Clamd;
  /** With `spool`: its first replica (the one to ask over REST), and every replica. */
  spool?: ServiceProcess;
  spoolReplicas: ServiceProcess[];
  /** With `spamFilter`. */
  spamFilter?: ServiceProcess;
  inboundPort: number;
  relayPort: number;
  /** Bearer token of a login at the tenant service. */
  login(email: string, password: string): Promise<string>;
  /** A JSON request to a service's REST API; throws on a status other than `expect`. */
  api<T = unknown>(
    service: ServiceProcess,
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; expect?: number },
  ): Promise<T>;
  close(): Promise<void>;
}

declare global {
  // Set by test/support/environment.js.
  var __e2eFailures: string[] | undefined;
}

/**
 * Starts the whole gateway for one test file: a private NATS (the standard stream names are free), a fresh
 * Postgres database (each service migrates its own schema at boot), an S3 server, the tenant's mail server
 * and the Internet's MX as SMTP sinks, then tenant (seeded), delivery and edge-mta from their dist/.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const work = await mkdtemp(join(tmpdir(), 'torii-e2e-'));
  const cleanups: (() => Promise<void>)[] = [async () => rm(work, { recursive: true, force: true })];
  const processes: ServiceProcess[] = [];
  const close = async () => {
    if ((globalThis.__e2eFailures ?? []).length > 0) {
      for (const p of processes)
        process.stderr.write(`\n===== ${p.name} (${p.logFile}) last lines =====\n${p.tail()}\n`);
    }
    await Promise.all(processes.map((p) => p.stop(3_000)));
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  try {
    const nats = await startNatsServer({ jetstream: true });
    cleanups.push(() => nats.close());
    const db = await createTestDatabase('torii_e2e');
    cleanups.push(() => db.drop());
    const s3 = await startS3Server();
    cleanups.push(() => s3.close());
    const tenantSink = await startSmtpSink({ host: TENANT_SERVER_IP, tls: true, name: TENANT_SERVER_NAME });
    cleanups.push(() => tenantSink.close());
    const internetSink = await startSmtpSink({ name: 'mx.remote.test' });
    cleanups.push(() => internetSink.close());

    const domains = options.domains ?? DEFAULT_DOMAINS;
    const seedFile = join(work, 'seed.yaml');
    // JSON is YAML.
    await writeFile(
      seedFile,
      JSON.stringify({
        operators: [OPERATOR],
        tenants: [
          {
            name: 'acme',
            admins: [ADMIN],
            domains: domains.map((d) => ({
              name: d.name,
              plan: 10,
              server: d.server ?? {
                hostname: TENANT_SERVER_NAME,
                ips: [TENANT_SERVER_IP],
                port: tenantSink.port,
              },
              services: d.services,
              addresses: d.addresses,
            })),
          },
        ],
      }),
    );

    // The two resolvers take different files: the edge's by record type, delivery's by name.
    const edgeDns = join(work, 'edge-dns.json');
    const edgeRecords: Record<string, Record<string, unknown[]>> = {
      PTR: { [TENANT_SERVER_IP]: [TENANT_SERVER_NAME] },
      A: { [TENANT_SERVER_NAME]: [TENANT_SERVER_IP] },
    };
    for (const [type, byName] of Object.entries(options.edgeDnsRecords ?? {}))
      edgeRecords[type] = { ...edgeRecords[type], ...byName };
    await writeFile(edgeDns, JSON.stringify(edgeRecords));
    const deliveryDns = join(work, 'delivery-dns.json');
    const internet: Record<string, unknown> = { 'mx.remote.test': { A: ['127.0.0.1'] } };
    for (const domain of INTERNET_DOMAINS)
      internet[domain] = { MX: [{ exchange: 'mx.remote.test', priority: 10 }] };
    await writeFile(deliveryDns, JSON.stringify(internet));

    const bucket = uniqueName('e2e').replaceAll('_', '-');
    const common = {
      NATS_URL: nats.url,
      DATABASE_URL: db.url,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
    };
    const [tenantPort, deliveryPort, edgePort, inboundPort, relayPort, virusPort, spoolPort, spamPort] =
      await Promise.all([
        freePort(),
        freePort(),
        freePort(),
        freePort(),
        freePort(),
        freePort(),
        freePort(),
        freePort(),
      ]);
    const tenant = new ServiceProcess(
      'tenant',
      // The tenants' servers here are loopback sinks on any port (the spool test's dead one is port 1).
      { ...common, TORII_SEED: seedFile, MAIL_SERVER_ALLOWED_RANGES: '127.0.0.0/8', MAIL_SERVER_PORTS: '1-65535' },
      tenantPort,
      join(work, 'tenant.log'),
    );
    const delivery = new ServiceProcess(
      'delivery',
      {
        ...common,
        TENANT_URL: tenant.url,
        GATEWAY_HOSTNAME: GATEWAY,
        AUTHSERV_ID: GATEWAY,
        SMTP_OUTBOUND_PORT: String(internetSink.port),
        DNS_OVERRIDES_FILE: deliveryDns,
        SMTP_CONNECT_TIMEOUT: '2s',
        RETRY_DELAYS: '1s',
        RETRY_JITTER: '0',
        WORKER_POLL: '200ms',
        OUTBOX_POLL: '100ms',
        ...(options.spool ? { DEFERRAL_MODE: 'spool' } : {}),
        ...options.deliveryEnv,
      },
      deliveryPort,
      join(work, 'delivery.log'),
    );
    const edge = new ServiceProcess(
      'edge-mta',
      {
        ...common,
        SMTP_INBOUND_PORT: String(inboundPort),
        SMTP_RELAY_PORT: String(relayPort),
        SMTP_HOSTNAME: GATEWAY,
        STATE_DIR: join(work, 'edge-state'),
        DNS_OVERRIDES_FILE: edgeDns,
        SHUTDOWN_GRACE: '2s',
        ...options.edgeEnv,
      },
      edgePort,
      join(work, 'edge-mta.log'),
    );
    // The tenant service creates the directory bucket and publishes the seeded domains; then delivery
    // (creates the streams) and the edge (reads the directory) boot side by side: tests send only once all
    // are ready, so the edge never publishes before the MAIL stream exists.
    processes.push(tenant, delivery, edge);

    let clamd: Clamd | undefined;
    let virusScan: ServiceProcess | undefined;
    if (options.virusScan) {
      const runDir = join(work, 'clamd');
      await mkdir(runDir);
      // Registered before start: a clamd that daemonized but never answered is stopped too.
      cleanups.push(() => stopClamd(runDir));
      clamd = await startClamd(runDir);
      virusScan = new ServiceProcess(
        'virus-scan',
        {
          ...common,
          TENANT_URL: tenant.url,
          GATEWAY_HOSTNAME: GATEWAY,
          CLAMD_HOSTS: `${clamd.host}:${clamd.port}`,
          CLAMD_CONNECT_TIMEOUT: '1s',
          CLAMD_TIMEOUT: '20s',
          SCAN_RETRY_BASE: '500ms',
          SCAN_RETRY_MAX: '2s',
          ...options.virusScanEnv,
        },
        virusPort,
        join(work, 'virus-scan.log'),
      );
      processes.push(virusScan);
    }
    const spoolReplicas: ServiceProcess[] = [];
    if (options.spool) {
      const replicas = options.spoolReplicas ?? 1;
      for (let i = 0; i < replicas; i++) {
        const replica = new ServiceProcess(
          'spool',
          {
            ...common,
            TENANT_URL: tenant.url,
            GATEWAY_HOSTNAME: GATEWAY,
            WORKER_POLL: '200ms',
            STATE_INTERVAL: '500ms',
            PROBE_INTERVAL: '1s',
            PROBE_TIMEOUT: '2s',
            ...(i > 0 ? { MIGRATE_ON_BOOT: 'false' } : {}),
            ...options.spoolEnv,
          },
          i === 0 ? spoolPort : await freePort(),
          join(work, i === 0 ? 'spool.log' : `spool-${i + 1}.log`),
        );
        spoolReplicas.push(replica);
        processes.push(replica);
      }
    }
    const spool = spoolReplicas[0] as ServiceProcess | undefined;
    let spamFilter: ServiceProcess | undefined;
    if (options.spamFilter) {
      spamFilter = new ServiceProcess(
        'spam-filter',
        {
          ...common,
          TENANT_URL: tenant.url,
          GATEWAY_HOSTNAME: GATEWAY,
          // The shipped model is what the test scores with: no file watching, no merging during a test.
          SPAM_MODEL_WATCH: '0',
          QUARANTINE_PUBLIC_URL: `http://127.0.0.1:${spamPort}`,
          ...options.spamFilterEnv,
        },
        spamPort,
        join(work, 'spam-filter.log'),
      );
      processes.push(spamFilter);
    }

    await tenant.start();
    await Promise.all([
      delivery.start(),
      edge.start(),
      virusScan?.start(),
      spool?.start(),
      spamFilter?.start(),
    ]);
    await Promise.all(spoolReplicas.slice(1).map((replica) => replica.start()));

    const api: Stack['api'] = async (service, method, path, opts = {}) => {
      const res = await fetch(`${service.url}${path}`, {
        method,
        headers: {
          ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
        },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
      const text = await res.text();
      const expected = opts.expect ?? (method === 'POST' ? 201 : 200);
      if (res.status !== expected)
        throw new Error(`${method} ${path}: ${res.status} (wanted ${expected}) ${text}`);
      return (text ? JSON.parse(text) : undefined) as never;
    };
    return {
      nats,
      db,
      s3,
      tenantSink,
      internetSink,
      tenant,
      delivery,
      edge,
      virusScan,
      clamd,
      spool,
      spoolReplicas,
      spamFilter,
      inboundPort,
      relayPort,
      api,
      login: async (email, password) =>
        (
          await api<{ token: string }>(tenant, 'POST', '/v1/auth/login', {
            body: { email, password },
            expect: 200,
          })
        ).token,
      close,
    };
  } catch (error) {
    globalThis.__e2eFailures?.push('stack start');
    await close();
    throw error;
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
