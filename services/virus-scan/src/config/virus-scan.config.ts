import { authFields, bool, commonFields, databaseFields, duration, list, loadConfig, port, positiveInt, storageFields, z, type Env } from '@torii/config';

/** virus-scan's environment. Every field has a default, so `npm start` works with no env at all. */
export const virusScanConfigSchema = z.object({
  ...commonFields,
  ...databaseFields,
  ...storageFields,
  ...authFields,
  HTTP_PORT: port(3005),
  HTTP_BIND_ADDRESS: z.string().default('127.0.0.1'),
  /** The tenant service: JWKS and API-key verification. */
  TENANT_URL: z.url().default('http://127.0.0.1:3001'),
  /** The NATS KV bucket holding one DomainDirectory per domain. */
  DIRECTORY_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).default('directory'),
  /** clamd hosts as host:port, comma-separated: messages are spread over them, a silent one is skipped. */
  CLAMD_HOSTS: list(['127.0.0.1:3310']),
  /** Connect + VERSION deadline per host when choosing one. */
  CLAMD_CONNECT_TIMEOUT: duration('3s'),
  /** Deadline of one INSTREAM scan (a part or the whole message); past it the message waits and is retried. */
  CLAMD_TIMEOUT: duration('2m'),
  /**
   * Time one message's scan may take: the whole message, then its parts one by one. Looked at before each part:
   * past it the remaining parts are not scanned and the message is unscannable (`Torii.Unscannable.Scan-Time-Budget`,
   * the domain's `unscannable` policy applies). A part already under way keeps its CLAMD_TIMEOUT, and clamd not
   * answering within that is an outage, retried; so a message takes at most this plus CLAMD_TIMEOUT.
   */
  SCAN_MESSAGE_BUDGET: duration('3m').refine((ms) => ms >= 1000, 'at least 1s'),
  /** Messages scanned at once per consumer. */
  SCAN_CONCURRENCY: positiveInt(4),
  /** Back-off of a message that could not be scanned (clamd down): first delay, doubling up to the max. */
  SCAN_RETRY_BASE: duration('5s'),
  SCAN_RETRY_MAX: duration('5m'),
  /** Deliveries of one event before it is dead-lettered (with the default back-off: about a day). */
  SCAN_MAX_DELIVER: positiveInt(300),
  /** Our host name: From of the warning mails (postmaster@…). */
  GATEWAY_HOSTNAME: z.string().regex(/^[A-Za-z0-9.-]+$/, 'a host name').default('localhost'),
  /** Apply the committed migrations at boot. */
  MIGRATE_ON_BOOT: bool(true),
});

export type VirusScanConfig = z.output<typeof virusScanConfigSchema>;

export function loadVirusScanConfig(env: Env = process.env): VirusScanConfig {
  return loadConfig('virus-scan', virusScanConfigSchema, env);
}

export const VIRUS_SCAN_CONFIG = Symbol('VIRUS_SCAN_CONFIG');
