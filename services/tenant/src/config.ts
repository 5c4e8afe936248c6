import { bool, commonFields, databaseFields, duration, list, loadConfig, parseConfig, port, z, type Env } from '@torii/config';

/** The tenant service's environment. Every field has a default, so `npm start` works with no env at all. */
export const TenantConfigSchema = z.object({
  ...commonFields,
  ...databaseFields,
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
});

export type TenantConfig = z.output<typeof TenantConfigSchema>;

export const parseTenantConfig = (env: Env): TenantConfig => parseConfig('tenant', TenantConfigSchema, env);

export const loadTenantConfig = (env: Env = process.env): TenantConfig => loadConfig('tenant', TenantConfigSchema, env);

/** Nest injection token of the configuration. */
export const TENANT_CONFIG = Symbol('TENANT_CONFIG');
