import { Injectable } from '@nestjs/common';
import { PolicyService } from '../policy/policy.service';
import { ReportsRepository } from './reports.repository';
import { reportCsv, reportRange, retentionStart, type ReportPeriod } from './reports.rules';

/** SPAM15 CSV reports: the domain (and each address with mail), or one address. */
@Injectable()
export class ReportsService {
  constructor(
    private readonly policies: PolicyService,
    private readonly repository: ReportsRepository,
  ) {}

  async domainCsv(tenantId: string, domain: string, period: ReportPeriod, perAddress: boolean, now = new Date()): Promise<string> {
    const name = await this.policies.ownedDomain(tenantId, domain);
    await this.repository.prune(retentionStart(now));
    const range = reportRange(period, now);
    let csv = reportCsv(name, range, await this.repository.rows(name, '', range.from, range.to));
    if (perAddress) {
      for (const address of await this.repository.addresses(name, range.from, range.to)) {
        const part = reportCsv(address, range, await this.repository.rows(name, address, range.from, range.to));
        csv += part.slice(part.indexOf('\r\n') + 2); // one header line for the whole file
      }
    }
    return csv;
  }

  async addressCsv(tenantId: string, domain: string, address: string, period: ReportPeriod, now = new Date()): Promise<string> {
    const owned = await this.policies.ownedAddress(tenantId, domain, address);
    const range = reportRange(period, now);
    return reportCsv(owned.address, range, await this.repository.rows(owned.domain, owned.address, range.from, range.to));
  }
}
