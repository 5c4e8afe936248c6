import { isAbsolute, join } from 'node:path';
import { defineConfig, type PrismaConfig } from 'prisma/config';
import { assertSchemaName, createPrismaAdapter } from './adapter';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/torii';

/** Env read by a service's prisma.config.ts: `migrateDeploy` uses it to point the CLI elsewhere (tests). */
export const SCHEMA_OVERRIDE_ENV = 'TORII_DB_SCHEMA';

export interface ServiceConfigOptions {
  /** The service's own Postgres schema: `tenant`, `delivery`, … */
  schema: string;
  /** Directory holding `prisma/schema.prisma` and `prisma/migrations`; defaults to the CLI's cwd. */
  root?: string;
}

/**
 * The `prisma.config.ts` of a service: the JS schema engine (wasm, no binary download) driven through our
 * patched `PrismaPg`, on the service's own schema. DATABASE_URL (and TORII_DB_SCHEMA) are read when the CLI
 * needs a connection, so `prisma generate` works with no database at all.
 */
export function defineServiceConfig(options: ServiceConfigOptions): ReturnType<typeof defineConfig> {
  assertSchemaName(options.schema);
  // schema.prisma must name a url (Prisma 6) and the CLI fails reading the schema when the variable is
  // unset (then it even tries to download a query engine); the adapter below is what actually connects.
  process.env.DATABASE_URL ||= DEFAULT_DATABASE_URL;
  const at = (path: string) => (options.root === undefined || isAbsolute(path) ? path : join(options.root, path));
  const config: PrismaConfig = {
    experimental: { adapter: true },
    engine: 'js',
    schema: at('prisma/schema.prisma'),
    migrations: { path: at('prisma/migrations') },
    adapter: async () =>
      createPrismaAdapter(
        process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
        process.env[SCHEMA_OVERRIDE_ENV] || options.schema,
      ),
  };
  return defineConfig(config);
}
