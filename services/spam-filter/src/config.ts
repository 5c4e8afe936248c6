import { authFields, bool, commonFields, databaseFields, duration, loadConfig, parseConfig, port, positiveInt, storageFields, z, type Env } from '@torii/config';
import { DEFAULT_MODEL_PATH } from '@torii/spam-engine';
import { isTimeZone } from './reports/reports.rules';

/** The development default of QUARANTINE_LINK_SECRET (below): public, so refused in production. */
export const DEV_LINK_SECRET = 'dev-only-quarantine-link-secret';
/** The shortest QUARANTINE_LINK_SECRET production accepts (bytes): 256 bits for HMAC-SHA256. */
export const MIN_PRODUCTION_LINK_SECRET_BYTES = 32;

/** The spam-filter service's environment. Every field has a default, so `npm start` works with no env at all. */
export const spamFilterConfigSchema = z.object({
  ...commonFields,
  ...databaseFields,
  ...storageFields,
  ...authFields,
  HTTP_PORT: port(3004),
  HTTP_BIND_ADDRESS: z.string().default('127.0.0.1'),
  /** The tenant service: JWKS and API-key verification. */
  TENANT_URL: z.url().default('http://127.0.0.1:3001'),
  /** The NATS KV bucket holding one DomainDirectory per domain. */
  DIRECTORY_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).default('directory'),
  /** The shared model file (JSON); watched, and reloaded when it changes. */
  SPAM_MODEL_PATH: z.string().default(DEFAULT_MODEL_PATH),
  /** How often the model file is checked for changes (0 disables watching; the admin endpoint still reloads). */
  SPAM_MODEL_WATCH: duration('10s'),
  /** How often tenants' deltas are re-read and merged into the shared model (SPAM14: within minutes). */
  FEEDBACK_MERGE_INTERVAL: duration('2m'),
  /** mergeDeltas: fewer tenants than this count as this many, so one tenant moves the shared model little. */
  FEEDBACK_MIN_TENANTS: positiveInt(10),
  /**
   * mergeDeltas: a shared weight moves only where at least this many tenants' reports pushed it the same way, so
   * one tenant alone changes nothing for the others (its reports still correct its own scores at once). 1: any.
   */
  FEEDBACK_MIN_AGREEING: positiveInt(3),
  /**
   * How often reports by mail whose event never came are looked for (their sidecar under `feedback/` older than
   * FEEDBACK_SWEEP_GRACE) and learned from; 0 turns the sweep off.
   */
  FEEDBACK_SWEEP_INTERVAL: duration('5m'),
  /** A report younger than this is left to its event. */
  FEEDBACK_SWEEP_GRACE: duration('10m'),
  /** Only the first bytes of a message are scored (headers and the first parts carry the evidence). */
  SCORE_MAX_BYTES: positiveInt(2 * 1024 * 1024),
  /** Parallel messages being scored. */
  CONSUMER_CONCURRENCY: positiveInt(4),
  /**
   * The calendar of the reports (SPAM15), an IANA time zone name such as `Asia/Tokyo`: which day a message is
   * counted on, and where "previous month" and "yesterday" end. Counters already kept stay on the day they were
   * counted on when it changes.
   */
  REPORT_TIME_ZONE: z.string().refine(isTimeZone, 'an IANA time zone name, such as UTC or Asia/Tokyo').default('UTC'),
  /** Our host name: Message-IDs of the notices we compose and the DSN's Reporting-MTA. */
  GATEWAY_HOSTNAME: z.string().regex(/^[A-Za-z0-9.-]+$/, 'a host name').default('localhost'),
  /** Public base URL of this service: digest links (SPAM13) point at `<url>/v1/quarantine/links/…`. */
  QUARANTINE_PUBLIC_URL: z.url().default('http://127.0.0.1:3004'),
  /**
   * HMAC key signing digest links, which release mail without a login. With NODE_ENV=production the service
   * refuses to start unless it is set to at least 32 bytes (e.g. `openssl rand -hex 32`); the default is for
   * development only. Rotating it voids the links already sent.
   */
  QUARANTINE_LINK_SECRET: z.string().min(16).default('dev-only-quarantine-link-secret'),
  /** How long a digest link stays valid. */
  QUARANTINE_LINK_TTL: duration('7d'),
  /** Forwards of quarantined messages one user (or API key) may make per QUARANTINE_FORWARD_WINDOW; then 429. */
  QUARANTINE_FORWARD_USER_LIMIT: positiveInt(20),
  /** Forwards of quarantined messages one tenant's users together may make per QUARANTINE_FORWARD_WINDOW; then 429. */
  QUARANTINE_FORWARD_TENANT_LIMIT: positiveInt(200),
  /**
   * The sliding window of the forward limits; a second forward of the same item to the same address within it
   * sends nothing and answers the first one's id again.
   */
  QUARANTINE_FORWARD_WINDOW: duration('1h').refine((ms) => ms >= 1000, 'at least 1s'),
  /** How often the quarantine jobs run: retention (SPAM12), due digests (SPAM13), unpublished notices. */
  QUARANTINE_JOB_INTERVAL: duration('1m'),
  /** Apply the committed migrations at boot. */
  MIGRATE_ON_BOOT: bool(true),
}).superRefine((config, ctx) => {
  // Anyone can forge a link signed with the public default: in production a real secret is a must.
  if (config.NODE_ENV !== 'production') return;
  const secret = config.QUARANTINE_LINK_SECRET;
  if (secret === DEV_LINK_SECRET || Buffer.byteLength(secret, 'utf8') < MIN_PRODUCTION_LINK_SECRET_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['QUARANTINE_LINK_SECRET'],
      message: `with NODE_ENV=production, set a random secret of at least ${MIN_PRODUCTION_LINK_SECRET_BYTES} bytes (e.g. openssl rand -hex 32); the development default signs links anyone can forge`,
    });
  }
});

export type SpamFilterConfig = z.output<typeof spamFilterConfigSchema>;

export const parseSpamFilterConfig = (env: Env): SpamFilterConfig => parseConfig('spam-filter', spamFilterConfigSchema, env);

export const loadSpamFilterConfig = (env: Env = process.env): SpamFilterConfig => loadConfig('spam-filter', spamFilterConfigSchema, env);

/** Nest injection token of the configuration. */
export const SPAM_FILTER_CONFIG = Symbol('SPAM_FILTER_CONFIG');
