export { fixture, fixtureNames, fixturePath, type FixtureName } from './fixtures';
export { TEST_NATS_URL, TEST_PG_URL, uniqueName } from './names';
export { createTestDatabase, type TestDatabase } from './postgres';
export { startNatsServer, type NatsServer, type NatsServerOptions } from './nats-server';
export {
  S3RVER_ACCESS_KEY,
  S3RVER_SECRET_KEY,
  startS3Server,
  type S3Server,
  type S3ServerOptions,
} from './s3-server';
export {
  sendMail,
  smtpDialog,
  type SendMailOptions,
  type SendMailResult,
  type SmtpDialogOptions,
  type SmtpReply,
} from './smtp-client';
export {
  headerMessageId,
  startSmtpSink,
  type SinkMessage,
  type SmtpSink,
  type SmtpSinkOptions,
} from './smtp-sink';
