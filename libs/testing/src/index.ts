export { TEST_NATS_URL, TEST_PG_URL, uniqueName } from './names';
export { createTestDatabase, type TestDatabase } from './postgres';
