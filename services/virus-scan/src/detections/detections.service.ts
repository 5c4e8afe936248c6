import { Injectable } from '@nestjs/common';
import { canAccessTenant, type Principal } from '@torii/auth';
import { ProblemException } from '@torii/http';
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
    const today = new Date().toISOString().slice(0, 10);
    const toDay = parseDay(to ?? today, 'to');
    const fromDay = parseDay(from ?? new Date(toDay.getTime() - 30 * 86_400_000).toISOString().slice(0, 10), 'from');
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

function parseDay(value: string, name: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new ProblemException({ status: 400, title: 'Bad Request', detail: `${name}: expected YYYY-MM-DD` });
  }
  return new Date(value);
}
