import { DEV_INTERNAL_TOKEN, MIN_INTERNAL_TOKEN_LENGTH, isIpOrRange } from '@torii/auth';
import { authFields, bool, commonFields, databaseFields, duration, list, loadConfig, parseConfig, port, positiveInt, z, type Env } from '@torii/config';
import { parsePortList } from './domains/mail-server.rules';

/** The tenant service's environment. Every field has a default, so `npm start` works with no env at all. */
export const TenantConfigSchema = z.object({
  ...commonFields,
  ...databaseFields,
  ...authFields,
  HTTP_PORT: port(3001),
  /** The operator's own domains (comma-separated): refused as tenant domains, with their subdomains (P1). */
  OPERATOR_DOMAINS: list([]),
  /** Lifetime of a login token. */
  JWT_TTL: duration('1h'),
  /** A seed file (YAML) applied at boot, idempotently; see docs/seed.md. */
  TORII_SEED: z.string().optional(),
  /** Apply pending migrations at boot (`migrate deploy`). */
  MIGRATE_ON_BOOT: bool(true),
  /** KV bucket of the directory snapshots (tests use their own). */
  DIRECTORY_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).default('directory'),
  /** Rewrite every domain's snapshot at boot (repairs a lost or stale KV). */
  REPUBLISH_ON_BOOT: bool(true),
  /**
   * Comma-separated CIDRs where tenants' mail servers may be although not public unicast (by default loopback,
   * private, link-local, shared, multicast and reserved addresses are refused), e.g. an ISP's customer network.
   */
  MAIL_SERVER_ALLOWED_RANGES: list([]),
  /** Ports a tenant's mail server may have: a list of ports and ranges such as `1024-65535`. */
  MAIL_SERVER_PORTS: list(['25', '465', '587', '2525']),
  /**
   * Failed logins of one account from one client IP within LOGIN_FAILURE_WINDOW before that account is locked for
   * that address (then doubling locks); other addresses still log in.
   */
  LOGIN_MAX_FAILURES: positiveInt(5),
  /** Failed logins from one client IP within LOGIN_FAILURE_WINDOW before it is locked (then doubling locks). */
  LOGIN_MAX_FAILURES_PER_IP: positiveInt(20),
  /** How long a failed login counts; a quiet account or IP starts again from zero. */
  LOGIN_FAILURE_WINDOW: duration('15m'),
  /** The first lock; each further failure after it doubles it, up to LOGIN_LOCK_MAX. */
  LOGIN_LOCK_BASE: duration('30s'),
  /** The longest lock of an (account, address) pair or an address (the right password from that address waits too). */
  LOGIN_LOCK_MAX: duration('15m'),
  /**
   * Failed logins of one account from all addresses within LOGIN_FAILURE_WINDOW after which every further login
   * of it is refused for a short back-off (guessing from many addresses), except from an address it logged in from.
   */
  LOGIN_ACCOUNT_BACKOFF_AFTER: positiveInt(50),
  /** The first account-wide back-off; each further failure doubles it, up to LOGIN_ACCOUNT_BACKOFF_MAX. */
  LOGIN_ACCOUNT_BACKOFF_BASE: duration('1s'),
  /** The longest account-wide back-off (short: it also slows the owner at an address not yet known). */
  LOGIN_ACCOUNT_BACKOFF_MAX: duration('1m'),
  /** How long an address an account logged in from stays exempt from the account-wide back-off. */
  LOGIN_KNOWN_ADDRESS_TTL: duration('30d'),
  /** Addresses remembered per account for that exemption (the most recent). */
  LOGIN_KNOWN_ADDRESSES: positiveInt(10),
  /** Password hashes (scrypt, ~90 ms of a libuv thread each) run at once for logins; the rest wait in line. */
  LOGIN_CONCURRENCY: positiveInt(2),
  /** Logins waiting for a hash slot beyond which a login is answered 503 at once (a flood cannot queue for ever). */
  LOGIN_QUEUE: positiveInt(32),
  /** Whose X-Forwarded-For to believe for the client IP of a login (CIDRs of the ingress; default: nobody). */
  TRUSTED_PROXIES: list([]),
}).superRefine((config, ctx) => {
  if (config.NODE_ENV === 'production' && (config.INTERNAL_TOKEN === undefined || config.INTERNAL_TOKEN === DEV_INTERNAL_TOKEN || config.INTERNAL_TOKEN.length < MIN_INTERNAL_TOKEN_LENGTH)) {
    ctx.addIssue({ code: 'custom', path: ['INTERNAL_TOKEN'], message: `required in production: a random secret of at least ${MIN_INTERNAL_TOKEN_LENGTH} characters, the same in every service` });
  }
  if (parsePortList(config.MAIL_SERVER_PORTS) === undefined) ctx.addIssue({ code: 'custom', path: ['MAIL_SERVER_PORTS'], message: 'expected ports or ranges between 1 and 65535, e.g. 25,465,587,2525' });
  for (const range of [...config.MAIL_SERVER_ALLOWED_RANGES, ...config.TRUSTED_PROXIES]) {
    if (!isIpOrRange(range)) ctx.addIssue({ code: 'custom', path: [config.MAIL_SERVER_ALLOWED_RANGES.includes(range) ? 'MAIL_SERVER_ALLOWED_RANGES' : 'TRUSTED_PROXIES'], message: `${range} is not an IP address or CIDR` });
  }
});

export type TenantConfig = z.output<typeof TenantConfigSchema>;

export const parseTenantConfig = (env: Env): TenantConfig => parseConfig('tenant', TenantConfigSchema, env);

export const loadTenantConfig = (env: Env = process.env): TenantConfig => loadConfig('tenant', TenantConfigSchema, env);

/** Nest injection token of the configuration. */
export const TENANT_CONFIG = Symbol('TENANT_CONFIG');
