import { PermanentError, TemporaryError } from '@torii/errors';
import { DAY_OF_DELIVERIES, DEFAULT_RETRY, UNKNOWN_FAILURE_DELIVERIES, decideOnFailure, retryDelayMs } from './retry';

const policy = { baseMs: 100, maxMs: 1_000 };

describe('retryDelayMs', () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1_000],
    [50, 1_000],
  ])('after delivery %i waits %i ms', (deliveries, expected) => {
    expect(retryDelayMs(deliveries, policy)).toBe(expected);
  });
});

describe('decideOnFailure', () => {
  it.each([
    ['temporary, deliveries left', new TemporaryError('db down'), 1, 3, { action: 'retry', delayMs: 100 }],
    ['unknown error counts as temporary', new Error('boom'), 2, 3, { action: 'retry', delayMs: 200 }],
    ['last delivery', new TemporaryError('db down'), 3, 3, { action: 'dead-letter', reason: 'max-deliveries' }],
    ['permanent on first delivery', new PermanentError('bad input'), 1, 3, { action: 'dead-letter', reason: 'permanent' }],
  ])('%s', (_name, error, deliveries, maxDeliver, expected) => {
    expect(decideOnFailure(error, deliveries, maxDeliver, policy)).toMatchObject(expected);
  });

  // A day of retries only for failures known to pass; anything else (a bug) is parked after UNKNOWN_FAILURE_DELIVERIES,
  // so that poison messages cannot fill a consumer's window of unacknowledged messages for a day.
  const pgDown = Object.assign(new Error('Invalid invocation'), { name: 'PrismaClientKnownRequestError', code: 'P1001' });
  it.each([
    ['a TemporaryError', 'retry', new TemporaryError('db down')],
    ['Prisma cannot reach the database (P1001)', 'retry', pgDown],
    ['a Postgres restart (57P01) under a wrapper', 'retry', new Error('query failed', { cause: Object.assign(new Error('terminating connection'), { code: '57P01' }) })],
    ['a connection reset', 'retry', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    // What Prisma (adapter-pg) threw here when Postgres ended the connection under a query:
    ['Prisma P2010 with the SQLSTATE 57P01 in its message', 'retry', Object.assign(new Error('Raw query failed. Code: `57P01`. Message: `terminating connection due to administrator command`'), { name: 'PrismaClientKnownRequestError', code: 'P2010' })],
    ['Prisma P2010 for a statement timeout (57014) in meta', 'retry', Object.assign(new Error('Raw query failed.'), { name: 'PrismaClientKnownRequestError', code: 'P2010', meta: { code: '57014' } })],
    ['Prisma P2010 for a syntax error (42601): a bug', 'dead-letter', Object.assign(new Error('Raw query failed. Code: `42601`. Message: `syntax error`'), { name: 'PrismaClientKnownRequestError', code: 'P2010' })],
    // Shapes @prisma/adapter-pg gives model queries during a Postgres restart or failover (measured by review):
    ['adapter-pg, the database starting up (57P03, cause a plain object)', 'retry', Object.assign(new Error('the database system is starting up'), { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '57P03', originalCode: '57P03' } })],
    ['adapter-pg, an unnamed failure with a transient SQLSTATE in its cause', 'retry', Object.assign(new Error('failed'), { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '08006' } })],
    ['Prisma P2037, too many connections', 'retry', Object.assign(new Error('Too many database connections opened'), { name: 'PrismaClientKnownRequestError', code: 'P2037' })],
    ['adapter-pg, a deadlock on model updates', 'retry', Object.assign(new Error('deadlock detected'), { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '40P01' } })],
    ["pg's client after a lost connection in a transaction", 'retry', new Error('Client has encountered a connection error and is not queryable')],
    ['adapter-pg, a unique violation (23505): a bug here', 'dead-letter', Object.assign(new Error('Unique constraint failed'), { name: 'DriverAdapterError', cause: { kind: 'UniqueConstraintViolation', code: '23505' } })],
    ['a bug', 'dead-letter', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a plain Error', 'dead-letter', new Error('boom')],
  ] as const)('%s → %s at UNKNOWN_FAILURE_DELIVERIES deliveries (a day allowed)', (_name, action, error) => {
    expect(decideOnFailure(error, UNKNOWN_FAILURE_DELIVERIES, DAY_OF_DELIVERIES, policy).action).toBe(action);
    expect(decideOnFailure(error, UNKNOWN_FAILURE_DELIVERIES - 1, DAY_OF_DELIVERIES, policy).action).toBe('retry');
  });

  it('parks an unknown error at delivery UNKNOWN_FAILURE_DELIVERIES, but not one that comes after an outage', () => {
    const bug = new TypeError('x is undefined');
    expect(decideOnFailure(bug, UNKNOWN_FAILURE_DELIVERIES, DAY_OF_DELIVERIES, policy).action).toBe('dead-letter');
    // 60 deliveries failed transiently (an hour's outage), then one unknown error: it keeps its day.
    expect(decideOnFailure(bug, 61, DAY_OF_DELIVERIES, policy).action).toBe('retry');
    expect(decideOnFailure(bug, DAY_OF_DELIVERIES, DAY_OF_DELIVERIES, policy).action).toBe('dead-letter');
  });

  it('keeps the error text for the dead letter', () => {
    const decision = decideOnFailure(new PermanentError('bad', { cause: new Error('why') }), 1, 5, policy);
    expect(decision).toEqual({ action: 'dead-letter', reason: 'permanent', error: 'PermanentError: bad ← Error: why' });
  });
});

describe('DAY_OF_DELIVERIES', () => {
  it('keeps retrying a temporary failure for about a day at the default back-off', () => {
    let waited = 0;
    for (let n = 1; n < DAY_OF_DELIVERIES; n++) waited += retryDelayMs(n, DEFAULT_RETRY);
    expect(waited).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(waited).toBeLessThan(25 * 3_600_000);
  });
});
