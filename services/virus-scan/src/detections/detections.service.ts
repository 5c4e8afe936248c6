import { Injectable } from '@nestjs/common';
import { canAccessTenant, type Principal } from '@torii/auth';
import { ProblemException, ValidationProblemException } from '@torii/http';
import { DirectoryCache } from '../directory/directory.cache';
import { ScansRepository } from './scans.repository';
import { unscannablePolicyOf } from './policy.rules';

/** Detections and the effective policy of a domain; another tenant's domain is "not found" (nothing leaks). */
@Injectable()
export class DetectionsService {
  constructor(
    private readonly scans: ScansRepository,
    private readonly directory: DirectoryCache,
  ) {}

  async perDay(principal: Principal, tenantId: string, domain: string, from?: string, to?: string) {
    await this.ownDomain(principal, tenantId, domain);
    const { fromDay, toDay } = dayRange(from, to, new Date());
    return { domain: domain.toLowerCase(), from: fromDay.toISOString().slice(0, 10), to: toDay.toISOString().slice(0, 10), days: await this.scans.countsPerDay(tenantId, domain.toLowerCase(), fromDay, toDay) };
  }

  async recent(principal: Principal, tenantId: string, domain: string, limit: number) {
    await this.ownDomain(principal, tenantId, domain);
    return this.scans.recentDetections(tenantId, domain.toLowerCase(), Math.min(Math.max(limit, 1), 200));
  }

  async policy(principal: Principal, tenantId: string, domain: string) {
    const entry = await this.ownDomain(principal, tenantId, domain);
    const settings = entry.virusPolicy?.settings ?? {};
    return {
      domain: entry.domain,
      subscribed: entry.services?.virus?.subscribed ?? false,
      unscannable: unscannablePolicyOf(settings),
      onFailure: settings['on_failure'] === 'deliver' ? 'deliver' : 'hold',
      settings,
    };
  }

  private async ownDomain(principal: Principal, tenantId: string, domain: string) {
    const entry = canAccessTenant(principal, tenantId) ? await this.directory.lookup(domain) : undefined;
    if (!entry || entry.tenantId !== tenantId) throw new ProblemException({ status: 404, title: 'Not Found', detail: `no domain ${domain}` });
    return entry;
  }
}

/** The longest range `…/detections` answers, in days: a year and a day (a leap year, the day before). */
export const MAX_RANGE_DAYS = 367;

/** A real calendar day `YYYY-MM-DD` (UTC midnight) from 1970 on, else undefined. */
export function parseDay(value: string): Date | undefined {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value || day.getUTCFullYear() < 1970) return undefined;
  return day;
}

export const DAY_DETAIL = 'expected a day YYYY-MM-DD from 1970 on';

/** What is wrong with a range of days, as `[parameter, detail]`: `from` after `to`, or longer than MAX_RANGE_DAYS. */
export function rangeErrors(fromDay: Date, toDay: Date): [parameter: 'from' | 'to', detail: string][] {
  if (fromDay > toDay) return [['from', 'must not be after to']];
  if ((toDay.getTime() - fromDay.getTime()) / 86_400_000 + 1 > MAX_RANGE_DAYS) return [['from', `at most ${MAX_RANGE_DAYS} days before to`]];
  return [];
}

/**
 * The days of `?from=&to=` (UTC, inclusive; default: the 30 days up to today). A day must be a real calendar
 * day from 1970 to 9999, `from` not after `to`, and the range at most MAX_RANGE_DAYS: else 400
 * `validation-failed` naming the parameter. The query DTO checks the same when both are given; a default
 * (today) can still make the range wrong, so it is checked again here.
 */
export function dayRange(from: string | undefined, to: string | undefined, now: Date): { fromDay: Date; toDay: Date } {
  const toDay = to === undefined ? parseDay(now.toISOString().slice(0, 10)) : parseDay(to);
  if (!toDay) throw badQuery('to', DAY_DETAIL);
  const fromDay = parseDay(from ?? new Date(toDay.getTime() - 30 * 86_400_000).toISOString().slice(0, 10));
  if (!fromDay) throw badQuery('from', DAY_DETAIL);
  const [error] = rangeErrors(fromDay, toDay);
  if (error) throw badQuery(...error);
  return { fromDay, toDay };
}

function badQuery(parameter: 'from' | 'to', detail: string): ValidationProblemException {
  return new ValidationProblemException([{ in: 'query', pointer: `/${parameter}`, detail }]);
}
