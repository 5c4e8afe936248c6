import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { assertSchemaName } from './adapter';
import { SCHEMA_OVERRIDE_ENV } from './config';

/** A migration could not be applied; `output` holds what the Prisma CLI printed. */
export class MigrationError extends Error {
  constructor(
    message: string,
    readonly output: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export interface MigrateDeployOptions {
  databaseUrl: string;
  /** The service's Postgres schema; created when missing. */
  schema: string;
  /** Path of the service's prisma.config.ts (default: `<cwd>/prisma.config.ts`). */
  prismaConfigPath?: string;
  /** The service's root directory (holds prisma.config.ts); default process.cwd(). */
  cwd?: string;
  /** Give up after this long (default 120 s). */
  timeoutMs?: number;
}

export interface MigrateDeployResult {
  /** What the CLI printed (lists the migrations it applied, or "No pending migrations"). */
  output: string;
}

const UNDEFINED_DATABASE = '3D000';
const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505'; // two concurrent CREATE DATABASE / CREATE SCHEMA may report this

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/**
 * Creates the database named in `databaseUrl` when it does not exist yet (a fresh dev machine has only
 * `postgres`), connecting to the server's `postgres` database to do so.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if (pgCode(error) !== UNDEFINED_DATABASE) throw error;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } catch (error) {
    const code = pgCode(error);
    if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw error;
  } finally {
    await admin.end();
  }
}

export async function ensureSchema(databaseUrl: string, schema: string): Promise<void> {
  assertSchemaName(schema);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (error) {
    if (pgCode(error) !== UNIQUE_VIOLATION) throw error;
  } finally {
    await client.end();
  }
}

/**
 * Applies the service's committed migrations (`prisma migrate deploy`), offline: the local Prisma CLI runs
 * with the wasm schema engine over our patched adapter (see prisma.config.ts → defineServiceConfig).
 * Creates the database and the schema first when missing. Applying twice is a no-op.
 */
export async function migrateDeploy(options: MigrateDeployOptions): Promise<MigrateDeployResult> {
  const cwd = options.cwd ?? (options.prismaConfigPath ? dirname(options.prismaConfigPath) : process.cwd());
  const configPath = options.prismaConfigPath ?? join(cwd, 'prisma.config.ts');
  await ensureDatabase(options.databaseUrl);
  await ensureSchema(options.databaseUrl, options.schema);
  const cli = require.resolve('prisma/build/index.js');
  const env = {
    ...process.env,
    DATABASE_URL: options.databaseUrl,
    [SCHEMA_OVERRIDE_ENV]: options.schema,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1', // no telemetry call home (there is no network anyway)
  };
  const output = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(UNREF_LONG_TIMERS)}`, cli, 'migrate', 'deploy', '--config', configPath], {
    cwd,
    env,
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  return { output };
}

/**
 * Preloaded into the CLI process: long timers are unref'd, because the wasm schema engine leaves a 10 s timer behind after
 * it is done, which would keep `migrate deploy` alive for 10 s doing nothing. A timer that long is a timeout
 * guarding some I/O, and that I/O (a socket) keeps the process alive by itself while it is pending.
 */
const UNREF_LONG_TIMERS = `
const setTimeoutOriginal = globalThis.setTimeout;
globalThis.setTimeout = function (fn, ms, ...args) {
  const timer = setTimeoutOriginal.call(this, fn, ms, ...args);
  if (typeof ms === 'number' && ms >= 5000 && timer && typeof timer.unref === 'function') timer.unref();
  return timer;
};
`;

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new MigrationError(`could not start the Prisma CLI: ${error.message}`, output, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new MigrationError(`prisma migrate deploy failed (${signal ?? `exit ${code}`}):\n${output}`, output));
    });
  });
}
