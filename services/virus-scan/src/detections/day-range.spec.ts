import { ProblemException } from '@torii/http';
import { MAX_RANGE_DAYS, dayRange } from './detections.service';

describe('dayRange (GET …/virus/detections?from=&to=)', () => {
  const now = new Date('2026-11-28T15:00:00Z');
  const iso = (r: { fromDay: Date; toDay: Date }) => [r.fromDay.toISOString().slice(0, 10), r.toDay.toISOString().slice(0, 10)];

  it('defaults to the 30 days before today, and takes a range as given', () => {
    expect(iso(dayRange(undefined, undefined, now))).toEqual(['2026-10-29', '2026-11-28']);
    expect(iso(dayRange('2026-01-01', '2026-01-31', now))).toEqual(['2026-01-01', '2026-01-31']);
    expect(iso(dayRange('2026-02-01', '2026-02-01', now))).toEqual(['2026-02-01', '2026-02-01']);
  });

  it.each([
    ['9999-12-31', '0000-01-01'], // a year 0 (PostgreSQL cannot take it), and from after to
    ['2026-02-30', '2026-03-01'], // no such day
    ['2026-1-01', '2026-01-31'],
    ['1969-12-31', '1970-01-01'],
    ['2026-03-02', '2026-03-01'],
    ['2020-01-01', '2026-01-01'], // longer than MAX_RANGE_DAYS
    ['junk', undefined],
  ])('refuses from=%s to=%s with a 400', (from, to) => {
    const error = (() => {
      try {
        dayRange(from, to, now);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).getStatus()).toBe(400);
  });

  it(`takes exactly ${MAX_RANGE_DAYS} days`, () => {
    expect(() => dayRange('2024-01-01', '2025-01-01', now)).not.toThrow();
  });
});
