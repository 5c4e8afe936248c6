import type { SpoolState } from '@torii/contracts';

/**
 * SEC4: whether new mail for `domain` is refused for lack of spool room (452 4.3.1). Only while the spool
 * is full and the domain is spool-bound (its server is down); a missing or stale state (the spool is not
 * publishing) refuses nothing. Pure.
 */
export function spoolRefuses(state: SpoolState | undefined, domain: string, nowMs: number, maxAgeMs: number): boolean {
  if (!state?.full) return false;
  const updated = state.updatedAt ? Number(state.updatedAt.seconds) * 1000 + Math.floor(state.updatedAt.nanos / 1e6) : 0;
  if (nowMs - updated > maxAgeMs) return false;
  return state.downDomains.includes(domain.toLowerCase());
}
