import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isTransient } from '@torii/errors';
import { PrismaPg } from '@prisma/adapter-pg';
import { createTestDatabase, uniqueName, type TestDatabase } from '@torii/testing';
import { Client } from 'pg';
import { createPrismaAdapter, ensureDatabase, migrateDeploy, MigrationError } from '../src/index';

const prismaConfigPath = join(__dirname, 'fixture', 'prisma.config.ts');
const noArgs = { args: [], argTypes: [] };

describe('migrateDeploy', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('applies the migrations on a fresh database, in the service schema, plpgsql bodies intact', async () => {
    const { output } = await migrateDeploy({ databaseUrl: db.url, schema: 'fixture', prismaConfigPath });
    expect(output).toContain('20250101000000_init');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`INSERT INTO fixture."Item" (id, name) VALUES (1, 'MiXeD')`);
      const { rows } = await client.query(`SELECT name FROM fixture."Item"`);
      expect(rows).toEqual([{ name: 'mixed' }]); // the trigger function exists and works
      const applied = await client.query(`SELECT migration_name FROM fixture._prisma_migrations`);
      expect(applied.rows).toEqual([{ migration_name: '20250101000000_init' }]);
    } finally {
      await client.end();
    }
  });

  it('is a no-op the second time', async () => {
    const { output } = await migrateDeploy({ databaseUrl: db.url, schema: 'fixture', prismaConfigPath });
    expect(output).toContain('No pending migrations');
  });

  it('reports a failing migration as MigrationError with the CLI output', async () => {
    await expect(
      migrateDeploy({ databaseUrl: db.url, schema: 'fixture', prismaConfigPath: join(__dirname, 'missing.config.ts') }),
    ).rejects.toBeInstanceOf(MigrationError);
  });
});

describe('ensureDatabase', () => {
  it('creates a missing database, and leaves an existing one alone', async () => {
    const name = uniqueName('torii_ensure');
    const url = new URL(db0Url());
    url.pathname = `/${name}`;
    await ensureDatabase(url.toString());
    await ensureDatabase(url.toString());
    const admin = new Client({ connectionString: db0Url() });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      expect(rowCount).toBe(1);
      await admin.query(`DROP DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
  });
});

function db0Url(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
}

describe('the patched adapter', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('reads catalog columns of type name (the stock adapter cannot: prisma/orm#27403)', async () => {
    const sql = `SELECT nspname, datname FROM pg_namespace, pg_database WHERE nspname = 'public' AND datname = current_database()`;
    const stock = await new PrismaPg({ connectionString: db.url }).connect();
    try {
      await expect(stock.queryRaw({ sql, ...noArgs })).rejects.toThrow();
    } finally {
      await stock.dispose();
    }
    const adapter = await createPrismaAdapter(db.url, 'public').connect();
    try {
      const result = await adapter.queryRaw({ sql, ...noArgs });
      expect(result.rows).toEqual([['public', db.name]]);
    } finally {
      await adapter.dispose();
    }
  });

  it('gives up opening a connection to a server that never answers (a transient error, not a hang)', async () => {
    // Takes the TCP connection and says nothing, as a stuck proxy or a partitioned host does.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const adapter = createPrismaAdapter(`postgresql://postgres@127.0.0.1:${port}/none`, 'public', { connectionTimeoutMs: 300 });
    try {
      const started = Date.now();
      const error = await adapter.connect().then(async (c) => c.queryRaw({ sql: 'SELECT 1', ...noArgs })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect(isTransient(error)).toBe(true);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });

  it('runs scripts whole, so plpgsql bodies survive', async () => {
    const adapter = await createPrismaAdapter(db.url, 'public').connect();
    try {
      await adapter.executeScript(`
        CREATE FUNCTION twice(x int) RETURNS int AS $$ BEGIN RETURN x * 2; END; $$ LANGUAGE plpgsql;
        SELECT 1;`);
      const result = await adapter.queryRaw({ sql: 'SELECT twice(21) AS v', ...noArgs });
      expect(result.rows).toEqual([[42]]);
    } finally {
      await adapter.dispose();
    }
  });

  it('opens the shadow database for real and drops it on dispose', async () => {
    const shadow = await createPrismaAdapter(db.url, 'public').connectToShadowDb();
    const result = await shadow.queryRaw({ sql: 'SELECT current_database()', ...noArgs });
    const shadowName = String(result.rows[0][0]);
    expect(shadowName).toMatch(/^prisma_migrate_shadow_db_/);
    expect(shadowName).not.toBe(db.name);
    await shadow.dispose();
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [shadowName]);
      expect(rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('routes unqualified names to the service schema', async () => {
    const adapter = await createPrismaAdapter(db.url, 'public').connect();
    const scoped = await createPrismaAdapter(db.url, 'scoped_schema').connect();
    try {
      await adapter.executeScript('CREATE SCHEMA scoped_schema; CREATE TABLE scoped_schema.t (v int); INSERT INTO scoped_schema.t VALUES (7)');
      const result = await scoped.queryRaw({ sql: 'SELECT v FROM t', ...noArgs });
      expect(result.rows).toEqual([[7]]);
    } finally {
      await adapter.dispose();
      await scoped.dispose();
    }
  });
});
