import { createTestDatabase } from '@torii/testing';
import { migrateDeploy } from './migrate';

export interface TestSchema {
  /** URL of the fresh database, migrated. */
  url: string;
  schema: string;
  drop(): Promise<void>;
}

/**
 * For a service's tests: a fresh database with the service's migrations applied in `schema`. One per test
 * file; `drop()` in afterAll.
 */
export async function createTestSchema(options: { schema: string; prismaConfigPath: string }): Promise<TestSchema> {
  const db = await createTestDatabase();
  try {
    await migrateDeploy({ databaseUrl: db.url, schema: options.schema, prismaConfigPath: options.prismaConfigPath });
  } catch (error) {
    await db.drop();
    throw error;
  }
  return { url: db.url, schema: options.schema, drop: () => db.drop() };
}
