import type { Resolution } from '../policy/policy.rules';
import { counterIncrements, csvField, isTimeZone, localDay, reportCsv, reportDisposition, reportRange, retentionStart } from './reports.rules';

const entry = { id: 'e1', field: 'from-domain', match: 'exact', value: 'x.test' } as const;

describe('counterIncrements', () => {
  it('counts each recipient copy and sums them for the domain', () => {
    const resolutions = new Map<string, Resolution>([
      ['a@t.test', { action: 'tag', tag: '[SPAM!!]', spam: true, why: { kind: 'threshold', scope: 'domain', threshold: '90', reached: true, action: 'tag' } }],
      ['b@t.test', { action: 'quarantine', spam: true, why: { kind: 'threshold', scope: 'address', threshold: '90', reached: true, action: 'quarantine' } }],
      ['c@t.test', { action: 'delete', spam: false, why: { kind: 'list', list: 'block', scope: 'domain', entry: { ...entry, list: 'block' } } }],
      ['d@t.test', { action: 'deliver', spam: true, why: { kind: 'list', list: 'allow', scope: 'address', entry: { ...entry, list: 'allow' } } }],
    ]);
    const rows = counterIncrements(resolutions);
    expect(rows[0]).toEqual({ address: '', received: 4, spam: 3, tagged: 1, quarantined: 1, deletedByBlock: 1, deliveredByAllow: 1 });
    expect(rows.find((r) => r.address === 'c@t.test')).toMatchObject({ received: 1, deletedByBlock: 1, spam: 0 });
  });

  it('adds nothing for no recipients', () => {
    expect(counterIncrements(new Map())).toEqual([]);
  });
});

describe('reportRange', () => {
  it.each([
    ['previous-month', '2026-03-15T10:00:00Z', '2026-02-01', '2026-03-01', '2026-02'],
    ['previous-month', '2026-01-01T00:00:00Z', '2025-12-01', '2026-01-01', '2025-12'],
    ['current-month', '2026-03-15T10:00:00Z', '2026-03-01', '2026-03-15', '2026-03'],
    ['current-month', '2026-03-01T23:00:00Z', '2026-03-01', '2026-03-01', '2026-03'],
  ] as const)('%s at %s → [%s, %s)', (period, now, from, to, month) => {
    const range = reportRange(period, new Date(now));
    expect([range.from.toISOString().slice(0, 10), range.to.toISOString().slice(0, 10), range.month]).toEqual([from, to, month]);
  });

  it('keeps data from the previous month on', () => {
    expect(retentionStart(new Date('2026-03-15T00:00:00Z')).toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });

  // REPORT_TIME_ZONE: the months and days are the customer's calendar, not UTC's.
  it.each([
    // 05:00 on 1 December in Tokyo is still 30 November in UTC: the previous month is November there.
    ['previous-month', '2026-11-30T20:00:00Z', 'Asia/Tokyo', '2026-11-01', '2026-12-01', '2026-11'],
    ['previous-month', '2026-11-30T20:00:00Z', 'UTC', '2026-10-01', '2026-11-01', '2026-10'],
    // 08:30 on 10 December in Tokyo: yesterday (the 9th) is in.
    ['current-month', '2026-12-09T23:30:00Z', 'Asia/Tokyo', '2026-12-01', '2026-12-10', '2026-12'],
    ['current-month', '2026-12-09T23:30:00Z', 'UTC', '2026-12-01', '2026-12-09', '2026-12'],
    // West of UTC: 20:00 on 31 March in New York is already 1 April in UTC.
    ['current-month', '2026-04-01T00:00:00Z', 'America/New_York', '2026-03-01', '2026-03-31', '2026-03'],
  ] as const)('%s at %s in %s → [%s, %s)', (period, now, zone, from, to, month) => {
    const range = reportRange(period, new Date(now), zone);
    expect([range.from.toISOString().slice(0, 10), range.to.toISOString().slice(0, 10), range.month]).toEqual([from, to, month]);
  });

  it('counts a message on the day it arrived in the report time zone', () => {
    expect(localDay(new Date('2026-12-09T23:30:00Z'), 'Asia/Tokyo').toISOString()).toBe('2026-12-10T00:00:00.000Z');
    expect(localDay(new Date('2026-12-09T23:30:00Z'), 'UTC').toISOString()).toBe('2026-12-09T00:00:00.000Z');
    expect(retentionStart(new Date('2026-11-30T20:00:00Z'), 'Asia/Tokyo').toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });

  it('knows IANA time zone names', () => {
    expect([isTimeZone('Asia/Tokyo'), isTimeZone('UTC'), isTimeZone('Mars/Olympus'), isTimeZone('')]).toEqual([true, true, false, false]);
  });
});

describe('reportCsv', () => {
  it('has a line per day (zeros included) and a total line', () => {
    const range = reportRange('previous-month', new Date('2026-03-10T00:00:00Z'));
    const csv = reportCsv('t.test', range, [
      { day: new Date('2026-02-03T00:00:00Z'), received: 5, spam: 2, tagged: 1, quarantined: 1, deletedByBlock: 0, deliveredByAllow: 1 },
      { day: new Date('2026-02-28T00:00:00Z'), received: 1, spam: 1, tagged: 1, quarantined: 0, deletedByBlock: 1, deliveredByAllow: 0 },
    ]);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('period,scope,received,spam,tagged,quarantined,deleted_by_block_list,delivered_by_allow_list');
    expect(lines).toHaveLength(1 + 28 + 1);
    expect(lines[3]).toBe('2026-02-03,t.test,5,2,1,1,0,1');
    expect(lines[1]).toBe('2026-02-01,t.test,0,0,0,0,0,0');
    expect(lines.at(-1)).toBe('2026-02,t.test,6,3,2,1,1,1');
  });

  it('is just the header and a zero total on the 1st of the month', () => {
    const csv = reportCsv('a@t.test', reportRange('current-month', new Date('2026-03-01T05:00:00Z')), []);
    expect(csv).toBe('period,scope,received,spam,tagged,quarantined,deleted_by_block_list,delivered_by_allow_list\r\n2026-03,a@t.test,0,0,0,0,0,0\r\n');
  });
});

describe('csvField (OWASP CSV injection)', () => {
  it.each([
    ['=cmd@t.test', `"'=cmd@t.test"`],
    ['+1@t.test', `"'+1@t.test"`],
    ['-x@t.test', `"'-x@t.test"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\tx@t.test', `"'\tx@t.test"`],
    ['\rx@t.test', `"'\rx@t.test"`],
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
  ])('%j is text, not a formula: %s', (value, cell) => {
    expect(csvField(value)).toBe(cell);
  });

  it('leaves ordinary cells as they were', () => {
    expect([csvField('t.test'), csvField('a@t.test'), csvField('a,b@t.test'), csvField("o'brien@t.test")]).toEqual(['t.test', 'a@t.test', '"a,b@t.test"', "o'brien@t.test"]);
  });

  it('neutralises the scope column of a report', () => {
    const csv = reportCsv('-x@t.test', reportRange('current-month', new Date('2026-03-01T05:00:00Z')), []);
    expect(csv.split('\r\n')[1]).toBe(`2026-03,"'-x@t.test",0,0,0,0,0,0`);
  });
});

describe('reportDisposition', () => {
  it('names the file after the scope and the month', () => {
    expect(reportDisposition('t.test', '2026-02')).toBe('attachment; filename="t.test-2026-02.csv"');
    expect(reportDisposition('a@t.test', '2026-03')).toBe('attachment; filename="a@t.test-2026-03.csv"');
  });

  it('keeps quotes, slashes and non-ASCII out of the quoted name, and gives the exact one in filename*', () => {
    expect(reportDisposition('"a/b"@t.test', '2026-03')).toBe(`attachment; filename="_a_b_@t.test-2026-03.csv"; filename*=UTF-8''%22a%2Fb%22%40t.test-2026-03.csv`);
    expect(reportDisposition("はな's@例え.jp", '2026-03')).toBe(
      `attachment; filename="__'s@__.jp-2026-03.csv"; filename*=UTF-8''%E3%81%AF%E3%81%AA%27s%40%E4%BE%8B%E3%81%88.jp-2026-03.csv`,
    );
  });
});
