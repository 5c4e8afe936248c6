export {
  assertSchemaName,
  createPrismaAdapter,
  ToriiPrismaPg,
  type PrismaAdapterOptions,
} from './adapter';
export { DEFAULT_DATABASE_URL, defineServiceConfig, SCHEMA_OVERRIDE_ENV, type ServiceConfigOptions } from './config';
export {
  ensureDatabase,
  ensureSchema,
  migrateDeploy,
  MigrationError,
  type MigrateDeployOptions,
  type MigrateDeployResult,
} from './migrate';
export { disconnectPrisma, prismaReadiness } from './shutdown';
export { createTestSchema, type TestSchema } from './testing';
