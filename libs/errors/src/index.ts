/**
 * Temporary versus permanent failure, as a type. Every layer maps it the same way: 4xx vs 5xx at the SMTP
 * edge, nak vs term on the bus, deferred vs bounced in delivery. Anything else that escapes is treated as
 * temporary (it is safer to retry than to lose mail).
 */
export abstract class ToriiError extends Error {
  abstract readonly permanent: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Worth retrying later: a peer is down, a timeout, a lock, a full disk. */
export class TemporaryError extends ToriiError {
  readonly permanent = false;
}

/** Retrying cannot help: bad input, a refused recipient, a policy decision. */
export class PermanentError extends ToriiError {
  readonly permanent = true;
}

export function isPermanent(error: unknown): boolean {
  return error instanceof ToriiError && error.permanent;
}

/** A short text for logs and diagnostics, following the `cause` chain. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' ← ');
}
