import { PermanentError, TemporaryError } from '@torii/errors';

/** The credential is missing, malformed, expired, of another issuer, or unknown: 401. */
export class InvalidCredentialsError extends PermanentError {}

/** The credential could not be checked (key set or tenant service unreachable): 503, try again. */
export class AuthUnavailableError extends TemporaryError {}
