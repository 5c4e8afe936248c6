import { authFields, bool, commonFields, databaseFields, duration, list, loadConfig, port, positiveInt, storageFields, z, type Env } from '@torii/config';

export const deliveryConfigSchema = z.object({
  ...commonFields,
  ...databaseFields,
  ...storageFields,
  ...authFields,
  HTTP_PORT: port(3002),
  /** The tenant service: JWKS and API-key verification. */
  TENANT_URL: z.url().default('http://127.0.0.1:3001'),
  HTTP_BIND_ADDRESS: z.string().default('127.0.0.1'),
  /** Our name: EHLO, `Received: by`, Reporting-MTA and MAILER-DAEMON@ of DSNs. */
  GATEWAY_HOSTNAME: z.string().regex(/^[A-Za-z0-9.-]+$/, 'a host name').default('localhost'),
  /** authserv-id of the Authentication-Results we add (and of the forged ones we remove), and `receiver=` of our Received-SPF; GATEWAY_HOSTNAME when unset. */
  AUTHSERV_ID: z.string().optional(),
  /** The NATS KV bucket holding one DomainDirectory per domain. */
  DIRECTORY_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).default('directory'),
  /** Port of recipients' MX hosts (25; tests point it at a sink). */
  SMTP_OUTBOUND_PORT: port(25),
  SMTP_CONNECT_TIMEOUT: duration('30s'),
  SMTP_SOCKET_TIMEOUT: duration('5m'),
  /** DNS servers for MX/A lookups; the system's when empty. */
  DNS_SERVERS: list([]),
  /**
   * A JSON file of DNS records that replaces DNS entirely (tests, local runs): by type first as the edge reads
   * it (`{"MX": {"example.test": [{"exchange": "mx.example.test", "priority": 10}]}, "A": {...}}`), or by name
   * (`{"example.test": {"MX": [...]}}`); see src/routing/resolver.ts.
   */
  DNS_OVERRIDES_FILE: z.string().optional(),
  VERDICT_TIMEOUT_SPAM: duration('60s'),
  VERDICT_TIMEOUT_VIRUS: duration('5m'),
  VERDICT_TIMEOUT_AUDIT: duration('2m'),
  /** Back-off of deferred recipients; the last delay repeats. */
  RETRY_DELAYS: list(['1m', '5m', '15m', '30m']),
  RETRY_JITTER: z.coerce.number().min(0).max(0.99).default(0.1),
  /** After this long since the first failure, a deferred recipient is bounced (SEC2: 7 days). */
  RETRY_GIVE_UP: duration('7d'),
  /** Who owns deferred mail: `spool` hands it to the spool service (SEC), `local` retries on RETRY_DELAYS. */
  DEFERRAL_MODE: z.enum(['local', 'spool']).default('local'),
  /** With DEFERRAL_MODE=spool: a handed-over recipient is tried again on its own only after this (spool lost). */
  SPOOL_PARK: duration('8d'),
  /**
   * How long a worker owns a claimed recipient; a crashed worker's claims are taken again after it. A worker that
   * cannot renew its claim for this long (database unreachable) stops sending that message's next hosts and domains.
   */
  DELIVERY_LEASE: duration('5m'),
  DELIVERY_CONCURRENCY: positiveInt(8),
  /** How often the worker looks for due work when nobody nudged it. */
  WORKER_POLL: duration('1s'),
  OUTBOX_POLL: duration('500ms'),
  RECONCILE_ENABLED: bool(true),
  RECONCILE_INTERVAL: duration('60s'),
  /** An object younger than this is left alone (its event may still be on the way). */
  RECONCILE_GRACE: duration('5m'),
  /** Objects older than this are not looked at (they were reconciled long ago). */
  RECONCILE_HORIZON: duration('7d'),
  /** An orphan published again this often without becoming a delivery row is given up (and reported). */
  RECONCILE_MAX_REPUBLISH: positiveInt(3),
  /** RET=FULL returns the whole message up to this size; headers only above. */
  DSN_FULL_MAX_BYTES: positiveInt(1024 * 1024),
  /** Apply the committed migrations at boot. */
  MIGRATE_ON_BOOT: bool(true),
});

export type DeliveryConfig = z.output<typeof deliveryConfigSchema>;

export function loadDeliveryConfig(env: Env = process.env): DeliveryConfig {
  return loadConfig('delivery', deliveryConfigSchema, env);
}

export const DELIVERY_CONFIG = Symbol('DELIVERY_CONFIG');
