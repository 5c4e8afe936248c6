import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import pg from 'pg';

/**
 * The one place where Torii works around bugs of `@prisma/adapter-pg` 6.19 (the driver adapter that lets
 * Prisma run with no native engine binary; see docs in README of this lib and ENV-NOTES "Prisma").
 *
 * 1. Catalog types such as `name` (OID 19) and `"char"` (OID 18) are not mapped to a Prisma column type, so
 *    any query returning one fails with `UnsupportedNativeDataType` — including the schema engine's own
 *    introspection during `migrate deploy`. https://github.com/prisma/orm/issues/27403 (migrate) and
 *    https://github.com/prisma/orm/issues/28145 (raw queries on pg_catalog).
 *    Fix: report those columns as `text` (their values already arrive as strings).
 * 2. `connectToShadowDb()` builds the shadow pool as `{ ...config, database }`, but `pg` lets the
 *    `connectionString` win over `database`, so the "shadow" pool is the real database; and its release
 *    drops the shadow database while its own pool still holds connections (the DROP fails, as in
 *    https://github.com/prisma/orm/issues/22845). Seen in the 6.19.3 source of `PrismaPgAdapterFactory`
 *    (no upstream issue found for the adapter itself). Fix: rewrite the URL, end the pool, DROP … FORCE.
 * 3. `executeScript()` splits the script on every `;`, which cuts plpgsql bodies, string literals and
 *    comments containing a semicolon into invalid statements (same symptom as the engine-side
 *    https://github.com/prisma/orm/issues/23513; in 6.19.3 the split is in `PrismaPgAdapter.executeScript`).
 *    Fix: send the whole script as one simple-protocol query (Postgres runs it in an implicit transaction).
 */

/** Catalog OIDs the adapter does not know, all of which arrive from `pg` as strings. */
const TEXT_LIKE_CATALOG_TYPES = new Set([
  18, // "char"
  19, // name
  22, // int2vector
  24, // regproc
  30, // oidvector
  194, // pg_node_tree
  2205, // regclass
  2206, // regtype
]);
const TEXT_OID = 25;
const NAME_ARRAY_OID = 1003;
const TEXT_ARRAY_OID = 1009;

interface FieldLike {
  dataTypeID: number;
}
interface ResultLike {
  fields?: FieldLike[];
}

function mapCatalogFields(result: unknown): void {
  const results = Array.isArray(result) ? (result as ResultLike[]) : [result as ResultLike];
  for (const r of results) {
    for (const field of r?.fields ?? []) {
      if (TEXT_LIKE_CATALOG_TYPES.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
      else if (field.dataTypeID === NAME_ARRAY_OID) field.dataTypeID = TEXT_ARRAY_OID;
    }
  }
}

type QueryCallback = (err: Error | null, result: unknown) => void;

/**
 * A `pg.Client` whose results describe catalog-typed columns as text (workaround 1). Used by the pool
 * both for `pool.query()` and for the clients handed out for transactions.
 */
class CatalogAwareClient extends pg.Client {
  // pg's `query` has a dozen overloads; this override only post-processes the result of any of them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as QueryCallback;
      args[last] = (err: Error | null, result: unknown) => {
        if (!err) mapCatalogFields(result);
        callback(err, result);
      };
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    const returned = (super.query as (...a: unknown[]) => unknown)(...args);
    if (returned instanceof Promise) {
      return returned.then((result: unknown) => {
        mapCatalogFields(result);
        return result;
      });
    }
    return returned;
  }
}

export interface PrismaAdapterOptions {
  /** Max connections in the pool (default pg's 10). */
  max?: number;
  /**
   * How long opening a connection may take (default 10 s). pg's own default waits for ever: a database host
   * that takes the TCP connection and then says nothing (a partition, a stuck proxy) would hang every handler.
   */
  connectionTimeoutMs?: number;
  onPoolError?: (err: Error) => void;
}

/** `search_path` as a libpq startup option, so unqualified SQL (and migration scripts) hit the schema. */
function searchPathOption(schema: string): string {
  return `-c search_path="${schema}"`;
}

export function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid Postgres schema name: ${schema}`);
}

/** A `PrismaPg` with the three workarounds above. */
export class ToriiPrismaPg extends PrismaPg {
  private readonly connectionString: string;
  readonly schema: string;

  constructor(databaseUrl: string, schema: string, options: PrismaAdapterOptions = {}) {
    assertSchemaName(schema);
    const poolConfig: pg.PoolConfig = {
      connectionString: databaseUrl,
      options: searchPathOption(schema),
      max: options.max,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
      // TCP keepalives from 10 s of silence on: a connection whose peer vanished fails instead of waiting for ever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // The Prisma CLI never ends the adapter's pool: without this a `migrate deploy` process lingers for
      // pg's 10 s idle timeout after it is done.
      allowExitOnIdle: true,
      Client: CatalogAwareClient,
    };
    super(poolConfig, { schema, onPoolError: options.onPoolError });
    this.connectionString = databaseUrl;
    this.schema = schema;
  }

  override async connect(): Promise<Awaited<ReturnType<PrismaPg['connect']>>> {
    return withWholeScripts(await super.connect());
  }

  override async connectToShadowDb(): Promise<Awaited<ReturnType<PrismaPg['connectToShadowDb']>>> {
    const main = await this.connect();
    const database = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID().replaceAll('-', '')}`;
    await main.executeScript(`CREATE DATABASE "${database}"`);
    const url = new URL(this.connectionString);
    url.pathname = `/${database}`;
    const shadowFactory = new ToriiPrismaPg(url.toString(), this.schema);
    const shadow = await shadowFactory.connect();
    // Migration scripts use unqualified names resolved through search_path: the schema must exist.
    await shadow.executeScript(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
    const originalDispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await originalDispose(); // end the shadow pool first, or the DROP finds it in use
      try {
        await main.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      } finally {
        await main.dispose();
      }
    };
    return shadow;
  }
}

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;

/** Workaround 3: run a script as one multi-statement query instead of splitting it on `;`. */
function withWholeScripts(adapter: Adapter): Adapter {
  const pool = adapter.underlyingDriver();
  // `onError` converts a pg error to Prisma's DriverAdapterError and throws; it is protected in the typings.
  const onError = (adapter as unknown as { onError(e: unknown): never }).onError.bind(adapter);
  adapter.executeScript = async (script: string): Promise<void> => {
    try {
      await pool.query(script);
    } catch (error) {
      onError(error);
    }
  };
  return adapter;
}

/**
 * The driver adapter for a service's `PrismaClient` and its migrations: `databaseUrl` is the shared
 * database, `schema` the service's own Postgres schema (`tenant`, `delivery`, …).
 */
export function createPrismaAdapter(databaseUrl: string, schema: string, options?: PrismaAdapterOptions): ToriiPrismaPg {
  return new ToriiPrismaPg(databaseUrl, schema, options);
}

export type { SqlDriverAdapter };
