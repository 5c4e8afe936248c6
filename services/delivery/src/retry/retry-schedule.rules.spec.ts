import { DEFAULT_RETRY_SCHEDULE, nextRetry, retrySchedule } from './retry-schedule.rules';

const M = 60_000;
describe('nextRetry', () => {
  it.each([
    [1, 0.5, 1 * M],
    [2, 0.5, 5 * M],
    [3, 0.5, 15 * M],
    [4, 0.5, 30 * M],
    [9, 0.5, 30 * M], // capped: the last delay repeats
    [1, 0, 0.9 * M], // jitter −10 %
    [1, 0.999999, 1.1 * M], // jitter +10 %
  ])('attempt %i, random %f → %i ms', (attempt, random, delay) => {
    const out = nextRetry(DEFAULT_RETRY_SCHEDULE, attempt, 0, 1_000, random);
    expect(out.action).toBe('retry');
    if (out.action === 'retry') expect(out.at - 1_000).toBeCloseTo(delay, -1);
  });

  it('gives up once the first failure is older than the limit', () => {
    expect(nextRetry(DEFAULT_RETRY_SCHEDULE, 50, 0, 7 * 24 * 60 * M, 0.5)).toEqual({ action: 'give-up' });
  });

  it('rejects an empty or bad schedule', () => {
    expect(() => retrySchedule([], 0, 1)).toThrow();
    expect(() => retrySchedule([1], 1, 1)).toThrow();
  });
});
