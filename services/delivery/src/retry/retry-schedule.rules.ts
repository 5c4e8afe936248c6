/** When a deferred recipient is tried again, and when delivery gives up. Pure; the caller brings the clock. */

export interface RetrySchedule {
  /** Delay after the n-th failed attempt (1-based); the last entry repeats. */
  delaysMs: readonly number[];
  /** ± this fraction of the delay is added at random, so a recovering server is not hit by a wave. */
  jitter: number;
  /** After this long since the first failure, stop retrying and bounce (SEC2: 7 days). */
  giveUpAfterMs: number;
}

const MINUTE = 60_000;

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = {
  delaysMs: [1 * MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE],
  jitter: 0.1,
  giveUpAfterMs: 7 * 24 * 60 * MINUTE,
};

export type RetryDecision = { action: 'retry'; at: number } | { action: 'give-up' };

/**
 * @param attempt the attempt that just failed, starting at 1
 * @param firstFailedAt when this recipient first failed (epoch ms)
 * @param random a number in [0, 1) (Math.random in production, fixed in tests)
 */
export function nextRetry(
  schedule: RetrySchedule,
  attempt: number,
  firstFailedAt: number,
  now: number,
  random: number,
): RetryDecision {
  if (now - firstFailedAt >= schedule.giveUpAfterMs) return { action: 'give-up' };
  const index = Math.min(Math.max(attempt, 1), schedule.delaysMs.length) - 1;
  const base = schedule.delaysMs[index] ?? MINUTE;
  const delay = Math.max(0, Math.round(base * (1 + schedule.jitter * (2 * random - 1))));
  return { action: 'retry', at: now + delay };
}

/** Parses `1m,5m,15m,30m` style lists (already turned into ms by the config) and checks them. */
export function retrySchedule(delaysMs: readonly number[], jitter: number, giveUpAfterMs: number): RetrySchedule {
  if (delaysMs.length === 0) throw new Error('retry schedule needs at least one delay');
  if (jitter < 0 || jitter >= 1) throw new Error('retry jitter must be in [0, 1)');
  return { delaysMs, jitter, giveUpAfterMs };
}
