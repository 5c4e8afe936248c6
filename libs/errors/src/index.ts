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

/** Network failures of a peer (database, S3, NATS, clamd): the peer may answer again. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED', 'ENOTCONN', 'ERR_SOCKET_CLOSED', 'TIMEOUT']);
/** Prisma: P1xxx are connection-level (cannot reach, authentication, database missing); pool, transaction and write-conflict timeouts. */
const TRANSIENT_PRISMA = /^(P1\d{3}|P2024|P2028|P2034|P2037)$/;
/**
 * Postgres SQLSTATE: connection exceptions, resources, shutdown or restart, a cancelled statement (timeout),
 * serialization and deadlock, lock timeouts.
 */
const TRANSIENT_SQLSTATE = /^(08|53|57P0[1-3]|57014|40001|40P01|55P03)/;
const TRANSIENT_TEXT =
  /connection terminated|terminating connection|connection timeout|timeout exceeded when trying to connect|can't reach database server|socket hang up|server closed the connection|not queryable|the database system is (starting up|shutting down|in recovery mode)|too many clients|deadlock detected/i;
/** The kinds of @prisma/adapter-pg's DriverAdapterError cause (a plain object) that pass. */
const TRANSIENT_ADAPTER_KINDS = new Set(['TooManyConnections', 'ConnectionClosed', 'SocketTimeout', 'DatabaseNotReachable', 'TransactionWriteConflict']);
/** Prisma reports a failed raw query as P2010 with the database's SQLSTATE in its message (or in `meta.code`). */
const SQLSTATE_IN_MESSAGE = /Code: `([0-9A-Z]{5})`/;

/**
 * Whether a failure is known to pass (a peer down or slow, a lock, a conflict): TemporaryError, or an error of
 * the database, S3 or network layer that says so, anywhere on the `cause` chain. Consumers retry these for as
 * long as an outage may last; an error that is neither this nor permanent (a bug, an unexpected shape) is
 * retried for a shorter while, so that it cannot hold a stream's unacknowledged window for a day.
 */
export function isTransient(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof ToriiError) return !current.permanent;
    const { name, code, meta } = current as Error & { code?: unknown; meta?: { code?: unknown } };
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || TRANSIENT_PRISMA.test(code) || TRANSIENT_SQLSTATE.test(code))) return true;
    const sqlState = typeof meta?.code === 'string' ? meta.code : SQLSTATE_IN_MESSAGE.exec(current.message)?.[1];
    if (sqlState && TRANSIENT_SQLSTATE.test(sqlState)) return true;
    // adapter-pg's DriverAdapterError carries the database's answer as a plain object, not an Error.
    const cause: unknown = current.cause;
    if (cause && typeof cause === 'object' && !(cause instanceof Error)) {
      const { kind, code: causeCode, originalCode } = cause as { kind?: unknown; code?: unknown; originalCode?: unknown };
      if (typeof kind === 'string' && TRANSIENT_ADAPTER_KINDS.has(kind)) return true;
      for (const c of [causeCode, originalCode]) if (typeof c === 'string' && (TRANSIENT_SQLSTATE.test(c) || TRANSIENT_CODES.has(c))) return true;
    }
    if (name === 'PrismaClientInitializationError' || name === 'TimeoutError') return true;
    if (TRANSIENT_TEXT.test(current.message)) return true;
    current = current.cause;
  }
  return false;
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
