/** The spool's schedule (SEC2) and drain rules (SEC3). Pure: the caller brings the clock and the facts. */

export interface SpoolSchedule {
  retryIntervalMs: number;
  delayNoticeAfterMs: number;
  giveUpAfterMs: number;
}

export interface Schedules {
  /** Domains subscribing the secondary service (SEC2: 30 min, 4 h, 7 d). */
  secondary: SpoolSchedule;
  /** Every other domain: the operator's default. */
  fallback: SpoolSchedule;
}

/** SEC applies while the domain subscribes the secondary service; an unknown domain gets the default. */
export function scheduleFor(schedules: Schedules, secondarySubscribed: boolean | undefined): SpoolSchedule {
  return secondarySubscribed ? schedules.secondary : schedules.fallback;
}

export interface SpoolTimes {
  nextAttemptAt: Date;
  delayNoticeAt: Date;
  giveUpAt: Date;
}

/** When a newly spooled message is tried again, warned about, and given up. Counted from the first failure. */
export function spoolTimes(schedule: SpoolSchedule, firstFailedAt: Date, now: Date): SpoolTimes {
  const first = Math.min(firstFailedAt.getTime(), now.getTime());
  return {
    nextAttemptAt: new Date(now.getTime() + schedule.retryIntervalMs),
    delayNoticeAt: new Date(first + schedule.delayNoticeAfterMs),
    giveUpAt: new Date(first + schedule.giveUpAfterMs),
  };
}

/** After another failed attempt: the next one an interval later, never past the give-up time. */
export function nextAttemptAfterFailure(retryIntervalMs: number, giveUpAt: Date, now: Date): Date {
  return new Date(Math.min(now.getTime() + retryIntervalMs, giveUpAt.getTime()));
}

export interface DueCandidate {
  id: string;
  domain: string;
}

/**
 * Which due messages to retry now: in the order given (arrival), at most `perDomain` in flight per domain
 * counting those already waiting for an outcome, and at most `limit` in all.
 */
export function pickForDrain<T extends DueCandidate>(
  candidates: readonly T[],
  inFlightByDomain: ReadonlyMap<string, number>,
  perDomain: number,
  limit: number,
): T[] {
  const used = new Map(inFlightByDomain);
  const picked: T[] = [];
  for (const c of candidates) {
    if (picked.length >= limit) break;
    const n = used.get(c.domain) ?? 0;
    if (n >= perDomain) continue;
    used.set(c.domain, n + 1);
    picked.push(c);
  }
  return picked;
}

/** SEC4: the edge refuses new mail for down domains once the spool holds this much. */
export function isFull(spooledBytes: bigint, limitBytes: bigint): boolean {
  return spooledBytes >= limitBytes;
}

/** An enhanced status for a reply: its own, else from the code class, else 4.4.1 (no answer: connection failed). */
export function statusOf(code: number, enhanced: string): string {
  if (/^[245]\.\d{1,3}\.\d{1,3}$/.test(enhanced)) return enhanced;
  if (code >= 400 && code < 500) return '4.0.0';
  return '4.4.1';
}

/** The last remote diagnostic as one line, e.g. "451 4.3.0 try later". */
export function diagnosticOf(code: number, enhanced: string, text: string): string {
  const line = text.replace(/\s*\r?\n\s*/g, ' ').trim();
  return code ? [code, enhanced, line].filter(Boolean).join(' ') : line;
}
