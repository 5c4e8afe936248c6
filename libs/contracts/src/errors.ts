import { PermanentError } from '@torii/errors';

/**
 * Bytes that are not a valid event of the expected type (bad UTF-8, bad JSON, a wrong field type).
 * Permanent: redelivering the same bytes cannot help, so consumers dead-letter it.
 */
export class ContractDecodeError extends PermanentError {}

/** A value that cannot be expressed in the contracts (an unspecified enum, a domain that is no KV key). */
export class ContractValueError extends PermanentError {}
