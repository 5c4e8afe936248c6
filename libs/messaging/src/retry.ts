import { describeError, isPermanent, isTransient } from '@torii/errors';

export interface RetryPolicy {
  /** Delay before the first redelivery after a temporary failure. */
  baseMs: number;
  /** Upper bound of the exponential delay. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1_000, maxMs: 60_000 };

/**
 * Deliveries a failing message gets before it is dead-lettered for hand-offs whose loss would be final (nothing
 * else files, judges or spools the message): about a day at DEFAULT_RETRY (1 s doubling, capped at 60 s), so an
 * outage of a database, S3 or a neighbour service of up to a day only delays them. A permanent error still
 * dead-letters at once.
 */
export const DAY_OF_DELIVERIES = 1_450;

/** Exponential back-off: base · 2^(n-1) after the n-th failed delivery, capped at max. */
export function retryDelayMs(deliveryCount: number, policy: RetryPolicy): number {
  const exponent = Math.max(0, deliveryCount - 1);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exponent, 30));
}

export type DeadLetterReason = 'permanent' | 'max-deliveries';

export type FailureDecision =
  | { action: 'retry'; delayMs: number }
  | { action: 'dead-letter'; reason: DeadLetterReason; error: string };

/**
 * Deliveries of a message whose handler fails with an error that is neither permanent nor known to pass (a bug,
 * an unexpected shape): about 14 minutes at DEFAULT_RETRY. A message waiting for a redelivery still holds a place
 * in its consumer's window of unacknowledged messages (1,000 by default): a day of retries for every such error
 * would let a thousand poison messages stop the consumer for everyone for a day.
 */
export const UNKNOWN_FAILURE_DELIVERIES = 20;

/**
 * What to do with a message whose handler failed: a permanent error, or the last allowed delivery, goes to
 * the dead letters; anything else is redelivered later. An error known to pass (isTransient) may use all of
 * `maxDeliver`; any other error is parked at delivery UNKNOWN_FAILURE_DELIVERIES (a poison message fails so
 * every time), but not later, when the message has come through an outage.
 */
export function decideOnFailure(
  error: unknown,
  deliveryCount: number,
  maxDeliver: number,
  policy: RetryPolicy,
): FailureDecision {
  if (isPermanent(error)) return { action: 'dead-letter', reason: 'permanent', error: describeError(error) };
  // The shorter budget counts only while a message has not yet been through an outage: past it (its earlier
  // deliveries failed, transiently, for longer than that), one unknown error among the outage's does not park it.
  const unknownCap = isTransient(error) || deliveryCount > UNKNOWN_FAILURE_DELIVERIES ? maxDeliver : Math.min(maxDeliver, UNKNOWN_FAILURE_DELIVERIES);
  if (deliveryCount >= unknownCap) {
    return { action: 'dead-letter', reason: 'max-deliveries', error: describeError(error) };
  }
  return { action: 'retry', delayMs: retryDelayMs(deliveryCount, policy) };
}
