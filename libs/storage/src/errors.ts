import { PermanentError, TemporaryError } from '@torii/errors';

/** The key names no object (S3 `NoSuchKey`). Retrying will not make it appear. */
export class ObjectNotFoundError extends PermanentError {
  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`object not found: ${key}`, options);
  }
}

/** A key that must never reach the store: empty, absolute, with `..`, control characters or too long. */
export class InvalidObjectKeyError extends PermanentError {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
  }
}

/**
 * The store failed or could not be reached (network, 5xx, a missing bucket, refused credentials). Treated
 * as temporary: a misconfigured or unreachable store must defer mail, never bounce it.
 */
export class ObjectStoreError extends TemporaryError {}

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);

export function isNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    NOT_FOUND_CODES.has((error as { code?: unknown }).code as string)
  );
}

/** Maps an error of the S3 client to ours, keeping it as `cause`. */
export function toStorageError(operation: string, key: string, error: unknown): Error {
  if (
    error instanceof ObjectNotFoundError ||
    error instanceof InvalidObjectKeyError ||
    error instanceof ObjectStoreError
  )
    return error;
  if (isNotFound(error)) return new ObjectNotFoundError(key, { cause: error });
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return new ObjectStoreError(`object store ${operation} ${key} failed: ${detail}`, { cause: error });
}
