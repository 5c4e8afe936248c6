// Torii's event contracts (package torii.mail.v1), generated from proto/, with the subjects, streams and
// codec that carry them over NATS. Build messages with `create(XxxSchema, {...})`.
export * from './gen';
export {
  create,
  clone,
  equals,
  isMessage,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
export {
  timestampDate,
  timestampFromDate,
  timestampFromMs,
  timestampMs,
  timestampNow,
} from '@bufbuild/protobuf/wkt';
export type { Timestamp } from '@bufbuild/protobuf/wkt';
export { codecFor, type Codec } from './codec';
export { Codecs } from './codecs';
export { ContractDecodeError, ContractValueError } from './errors';
export {
  Subjects,
  deliveryToken,
  directionToken,
  verdictToken,
  type DeliveryToken,
  type VerdictToken,
} from './subjects';
export {
  ALL_STREAMS,
  Streams,
  nanos,
  type RetentionPolicy,
  type StreamDefinition,
  type StreamName,
} from './streams';
export { DIRECTORY_BUCKET, SPOOL_STATE_BUCKET, SPOOL_STATE_KEY, directoryKey } from './directory';
export { isMessageId, messageIdTime, newMessageId } from './ids';
export { spamActionName, type SpamActionName } from './names';
