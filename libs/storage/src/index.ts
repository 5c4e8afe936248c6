export { InvalidObjectKeyError, ObjectNotFoundError, ObjectStoreError } from './errors';
export { assertValidKey, messageKey, messagePrefix, parseMessageKey, sidecarKey, submitKey, type MessageKeyParts } from './keys';
export {
  DEFAULT_S3_ENDPOINT,
  ObjectStore,
  type ListedObject,
  type ObjectStat,
  type ObjectStoreConfig,
  type PutOptions,
  type PutResult,
  type StorageEnv,
} from './object-store';
