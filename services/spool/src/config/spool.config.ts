import { authFields, bool, commonFields, databaseFields, duration, loadConfig, port, positiveInt, storageFields, z, type Env } from '@torii/config';

export const spoolConfigSchema = z.object({
  ...commonFields,
  ...databaseFields,
  ...storageFields,
  ...authFields,
  HTTP_PORT: port(3007),
  HTTP_BIND_ADDRESS: z.string().default('127.0.0.1'),
  /** The tenant service: JWKS and API-key verification. */
  TENANT_URL: z.url().default('http://127.0.0.1:3001'),
  /** Our name: Reporting-MTA and MAILER-DAEMON@ of delay DSNs, EHLO of the recovery probe. */
  GATEWAY_HOSTNAME: z.string().regex(/^[A-Za-z0-9.-]+$/, 'a host name').default('localhost'),
  /** The NATS KV bucket holding one DomainDirectory per domain. */
  DIRECTORY_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).default('directory'),
  /** The NATS KV bucket the spool publishes its SpoolState to (watched by the edge). */
  SPOOL_STATE_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spool-state'),
  /** SEC2, domains with the secondary service: retry every 30 minutes. */
  SEC_RETRY_INTERVAL: duration('30m'),
  /** SEC2: a delay DSN to the sender once undeliverable this long. */
  SEC_DELAY_NOTICE_AFTER: duration('4h'),
  /** SEC2: a failure DSN and removal after this long. */
  SEC_GIVE_UP_AFTER: duration('7d'),
  /** Operator's default for domains without the secondary service: retry interval. */
  DEFAULT_RETRY_INTERVAL: duration('15m'),
  /** Operator's default: delay DSN after this long. */
  DEFAULT_DELAY_NOTICE_AFTER: duration('4h'),
  /** Operator's default: failure DSN and removal after this long (RFC 5321 §4.5.4.1 suggests 4-5 days). */
  DEFAULT_GIVE_UP_AFTER: duration('5d'),
  /** SEC4: bytes of spooled mail shared by all tenants; above it the edge answers 452 4.3.1 for down domains. */
  SPOOL_CAPACITY_BYTES: positiveInt(10 * 1024 * 1024 * 1024),
  /** How often each replica looks for due work when nothing nudged it. */
  WORKER_POLL: duration('1s'),
  /** A retry command waits this long for delivery's outcome before the message is due again. */
  RETRY_LEASE: duration('10m'),
  /** SEC3: messages of one domain in flight at once while draining (no thundering herd). */
  DRAIN_CONCURRENCY: positiveInt(4),
  /** SEC3: how often a down tenant server is probed (TCP connect + banner + EHLO). */
  PROBE_INTERVAL: duration('60s'),
  PROBE_TIMEOUT: duration('10s'),
  /** How often the SpoolState for the edge is refreshed (also after every change the replica makes). */
  STATE_INTERVAL: duration('5s'),
  /** Apply the committed migrations at boot. */
  MIGRATE_ON_BOOT: bool(true),
});

export type SpoolConfig = z.output<typeof spoolConfigSchema>;

export function loadSpoolConfig(env: Env = process.env): SpoolConfig {
  return loadConfig('spool', spoolConfigSchema, env);
}

export const SPOOL_CONFIG = Symbol('SPOOL_CONFIG');
