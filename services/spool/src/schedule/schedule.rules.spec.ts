import { diagnosticOf, isFull, nextAttemptAfterFailure, pickForDrain, scheduleFor, spoolTimes, statusOf, type Schedules } from './schedule.rules';

const H = 3_600_000;
const schedules: Schedules = {
  secondary: { retryIntervalMs: 0.5 * H, delayNoticeAfterMs: 4 * H, giveUpAfterMs: 168 * H },
  fallback: { retryIntervalMs: 0.25 * H, delayNoticeAfterMs: 4 * H, giveUpAfterMs: 120 * H },
};

describe('schedule', () => {
  it.each([
    [true, schedules.secondary],
    [false, schedules.fallback],
    [undefined, schedules.fallback],
  ])('secondary subscribed %s → its schedule', (subscribed, expected) => {
    expect(scheduleFor(schedules, subscribed)).toBe(expected);
  });

  it('counts the delay notice and the give-up from the first failure, the next attempt from now', () => {
    const first = new Date('2025-06-01T10:00:00Z');
    const now = new Date('2025-06-01T10:00:02Z');
    expect(spoolTimes(schedules.secondary, first, now)).toEqual({
      nextAttemptAt: new Date('2025-06-01T10:30:02Z'),
      delayNoticeAt: new Date('2025-06-01T14:00:00Z'),
      giveUpAt: new Date('2025-06-08T10:00:00Z'),
    });
  });

  it('never schedules an attempt after the give-up time', () => {
    const giveUp = new Date('2025-06-08T10:00:00Z');
    expect(nextAttemptAfterFailure(30 * 60_000, giveUp, new Date('2025-06-08T09:50:00Z'))).toEqual(giveUp);
    expect(nextAttemptAfterFailure(30 * 60_000, giveUp, new Date('2025-06-08T09:00:00Z'))).toEqual(new Date('2025-06-08T09:30:00Z'));
  });
});

describe('pickForDrain', () => {
  const c = (id: string, domain: string) => ({ id, domain });
  it.each([
    ['bounded per domain, in order', [c('1', 'a'), c('2', 'a'), c('3', 'a'), c('4', 'b')], [], 2, 10, ['1', '2', '4']],
    ['counts those in flight', [c('1', 'a'), c('2', 'a')], [['a', 1]], 2, 10, ['1']],
    ['a full domain does not block another', [c('1', 'a'), c('2', 'b')], [['a', 2]], 2, 10, ['2']],
    ['stops at the limit', [c('1', 'a'), c('2', 'b'), c('3', 'c')], [], 2, 2, ['1', '2']],
  ] as const)('%s', (_name, candidates, inFlight, perDomain, limit, expected) => {
    expect(pickForDrain(candidates, new Map(inFlight as unknown as [string, number][]), perDomain, limit).map((x) => x.id)).toEqual(expected);
  });
});

describe('replies and capacity', () => {
  it.each([
    [451, '4.3.0', '4.3.0'],
    [421, '', '4.0.0'],
    [0, '', '4.4.1'],
  ])('status of %i %s is %s', (code, enhanced, expected) => expect(statusOf(code, enhanced)).toBe(expected));

  it('joins a multi-line reply into one diagnostic line', () => {
    expect(diagnosticOf(451, '4.3.0', 'try\nlater')).toBe('451 4.3.0 try later');
    expect(diagnosticOf(0, '', 'connect: ECONNREFUSED')).toBe('connect: ECONNREFUSED');
  });

  it('is full at the limit', () => {
    expect(isFull(99n, 100n)).toBe(false);
    expect(isFull(100n, 100n)).toBe(true);
  });
});
