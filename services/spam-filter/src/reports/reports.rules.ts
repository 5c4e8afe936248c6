/**
 * SPAM15 reports, as pure functions: what one judged message adds to the day's counters, which days a
 * report covers, and the CSV. Counters count recipient copies (a message to three addresses of a domain
 * counts three times for the domain, once for each address). Days are calendar days of REPORT_TIME_ZONE (UTC by
 * default), each stored as the UTC midnight of that date (a Postgres `date`).
 */
import type { Resolution } from '../policy/policy.rules';

export const COUNTER_COLUMNS = ['received', 'spam', 'tagged', 'quarantined', 'deletedByBlock', 'deliveredByAllow'] as const;
export type CounterName = (typeof COUNTER_COLUMNS)[number];
export type Counters = Record<CounterName, number>;

export interface CounterIncrement extends Counters {
  /** '' for the domain as a whole. */
  address: string;
}

export const zeroCounters = (): Counters => ({ received: 0, spam: 0, tagged: 0, quarantined: 0, deletedByBlock: 0, deliveredByAllow: 0 });

function countsOf(resolution: Resolution): Counters {
  return {
    received: 1,
    spam: resolution.spam ? 1 : 0,
    tagged: resolution.action === 'tag' ? 1 : 0,
    quarantined: resolution.action === 'quarantine' ? 1 : 0,
    deletedByBlock: resolution.why.kind === 'list' && resolution.why.list === 'block' ? 1 : 0,
    deliveredByAllow: resolution.why.kind === 'list' && resolution.why.list === 'allow' ? 1 : 0,
  };
}

/** One row per recipient address plus the domain's row (the sum). */
export function counterIncrements(resolutions: ReadonlyMap<string, Resolution>): CounterIncrement[] {
  const domain: CounterIncrement = { address: '', ...zeroCounters() };
  const rows: CounterIncrement[] = [];
  for (const [address, resolution] of resolutions) {
    const counts = countsOf(resolution);
    rows.push({ address, ...counts });
    for (const name of COUNTER_COLUMNS) domain[name] += counts[name];
  }
  return rows.length ? [domain, ...rows] : [];
}

export type ReportPeriod = 'previous-month' | 'current-month';

/** The calendar date of `instant` in `timeZone` (an IANA name), as the UTC midnight of that date. */
export function localDay(instant: Date, timeZone: string): Date {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return new Date(Date.UTC(part('year'), part('month') - 1, part('day')));
}

/** Whether `timeZone` names a time zone this runtime knows (config validation). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Days covered, as [from, to) dates (UTC midnights of dates of `timeZone`): the whole previous month, or the 1st
 * of this month to yesterday, by the calendar of `timeZone`.
 */
export function reportRange(period: ReportPeriod, now: Date, timeZone = 'UTC'): { from: Date; to: Date; month: string } {
  const today = localDay(now, timeZone);
  const y = today.getUTCFullYear();
  const m = today.getUTCMonth();
  if (period === 'previous-month') {
    const from = new Date(Date.UTC(y, m - 1, 1));
    return { from, to: new Date(Date.UTC(y, m, 1)), month: from.toISOString().slice(0, 7) };
  }
  const from = new Date(Date.UTC(y, m, 1));
  return { from, to: today, month: from.toISOString().slice(0, 7) };
}

/** Counter rows older than the previous month's first day need not be kept (SPAM15). */
export function retentionStart(now: Date, timeZone = 'UTC'): Date {
  const today = localDay(now, timeZone);
  return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1));
}

export interface CounterRow extends Counters {
  day: Date;
}

const CSV_HEADER = ['period', 'scope', 'received', 'spam', 'tagged', 'quarantined', 'deleted_by_block_list', 'delivered_by_allow_list'];

/**
 * The CSV of one scope (the domain, or one address): one line per day of the range (zeros included), then
 * one line for the whole range (`period` = YYYY-MM).
 */
export function reportCsv(scope: string, range: { from: Date; to: Date; month: string }, rows: readonly CounterRow[]): string {
  const byDay = new Map(rows.map((r) => [r.day.toISOString().slice(0, 10), r]));
  const lines = [CSV_HEADER.join(',')];
  const total = zeroCounters();
  for (let d = new Date(range.from); d < range.to; d = new Date(d.getTime() + 86_400_000)) {
    const key = d.toISOString().slice(0, 10);
    const row = byDay.get(key) ?? zeroCounters();
    for (const name of COUNTER_COLUMNS) total[name] += row[name];
    lines.push([key, csvField(scope), ...COUNTER_COLUMNS.map((n) => row[n])].join(','));
  }
  lines.push([range.month, csvField(scope), ...COUNTER_COLUMNS.map((n) => total[n])].join(','));
  return lines.join('\r\n') + '\r\n';
}

/**
 * A text cell. One that starts like a formula (`=`, `+`, `-`, `@`, tab or CR: OWASP's CSV injection list) gets
 * a leading `'`, so a spreadsheet shows it as text instead of running it (an address may start with `-` or `=`).
 */
export function csvField(text: string): string {
  const value = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return value !== text || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * How a browser should save a report: `attachment; filename="<scope>-<YYYY-MM>.csv"` (the scope is the domain or
 * the address; the month is the report's, so this month's and last month's files do not overwrite each other).
 * A name with characters a quoted filename cannot carry safely (non-ASCII, `"`, `\`, `/`, `%`) has them as `_`
 * there, and the exact name in `filename*` (RFC 6266), which browsers prefer.
 */
export function reportDisposition(scope: string, month: string): string {
  const name = `${scope}-${month}.csv`;
  const plain = name.replace(/[^\x20-\x7e]|["\\/%]/gu, '_');
  if (plain === name) return `attachment; filename="${name}"`;
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${plain}"; filename*=UTF-8''${exact}`;
}
