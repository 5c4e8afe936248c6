export { TEST_NATS_URL, TEST_PG_URL, uniqueName } from './names';
export { createTestDatabase, type TestDatabase } from './postgres';
export { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3Server, type S3Server, type S3ServerOptions } from './s3-server';
