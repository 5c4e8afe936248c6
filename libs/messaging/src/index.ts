export { jsonCodec, type Codec } from './codec';
export { connectNats, natsReadiness, type NatsConnectionOptions } from './connection';
export { JetStreamContext } from './context';
export {
  DeadLetterNotFoundError,
  listDeadLetters,
  replayDeadLetter,
  type DeadLetter,
  type DeadLetterFilter,
  type ReplayResult,
} from './dead-letters';
export {
  consumerConfigFor,
  ensureConsumer,
  ensureStreams,
  streamConfigFor,
  streamReplicasFromEnv,
  streamSpecOf,
  streamUpdateFor,
  StreamReplicasError,
  type EnsureStreamsOptions,
  type NatsStreamDefinition,
  type ConsumerSpec,
  type StreamSpec,
} from './declarations';
export { isRevisionConflict, KvStore, type KvChange, type KvValue, type KvWatch } from './kv';
export { silentLogger, type MessagingLogger } from './logger';
export {
  connectJetStream,
  ConsumerShutdown,
  KvStores,
  MessagingModule,
  NATS_CONNECTION,
  type MessagingModuleOptions,
} from './module';
export { JetStreamPublisher, TYPE_HEADER, type PublishOptions, type PublishResult } from './publisher';
export { DAY_OF_DELIVERIES, DEFAULT_RETRY, UNKNOWN_FAILURE_DELIVERIES, decideOnFailure, retryDelayMs, type FailureDecision, type RetryPolicy } from './retry';
export { DeadLetterHeaders, JetStreamConsumerRunner, type ConsumerRunnerOptions, type MessageHandler } from './runner';
export { DEAD_LETTER_STREAM, JetStreamExceptionFilter, JetStreamServer, type JetStreamServerOptions } from './server';
export { deadLetterSubject, subjectMatches } from './subjects';
export { extractTraceContext, injectTraceContext } from './trace';
