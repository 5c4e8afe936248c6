import { Inject, Injectable } from '@nestjs/common';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';
import { PolicyService } from '../policy/policy.service';
import { ReportsRepository } from './reports.repository';
import { reportCsv, reportDisposition, reportRange, retentionStart, type ReportPeriod } from './reports.rules';

/** A report as the API answers it: the CSV and its `Content-Disposition` (the name a browser saves it under). */
export interface ReportFile {
  csv: string;
  disposition: string;
}

/**
 * SPAM15 CSV reports: the domain (and each address with mail), or one address. Only the asking tenant's
 * counters: those of the days it had the domain (a domain that moved tenants does not bring its history).
 */
@Injectable()
export class ReportsService {
  constructor(
    @Inject(SPAM_FILTER_CONFIG) private readonly config: SpamFilterConfig,
    private readonly policies: PolicyService,
    private readonly repository: ReportsRepository,
  ) {}

  async domainCsv(tenantId: string, domain: string, period: ReportPeriod, perAddress: boolean, now = new Date()): Promise<ReportFile> {
    const name = await this.policies.ownedDomain(tenantId, domain);
    await this.repository.prune(retentionStart(now, this.config.REPORT_TIME_ZONE));
    const range = reportRange(period, now, this.config.REPORT_TIME_ZONE);
    let csv = reportCsv(name, range, await this.repository.rows(tenantId, name, '', range.from, range.to));
    if (perAddress) {
      for (const address of await this.repository.addresses(tenantId, name, range.from, range.to)) {
        const part = reportCsv(address, range, await this.repository.rows(tenantId, name, address, range.from, range.to));
        csv += part.slice(part.indexOf('\r\n') + 2); // one header line for the whole file
      }
    }
    return { csv, disposition: reportDisposition(name, range.month) };
  }

  async addressCsv(tenantId: string, domain: string, address: string, period: ReportPeriod, now = new Date()): Promise<ReportFile> {
    const owned = await this.policies.ownedAddress(tenantId, domain, address);
    const range = reportRange(period, now, this.config.REPORT_TIME_ZONE);
    const csv = reportCsv(owned.address, range, await this.repository.rows(tenantId, owned.domain, owned.address, range.from, range.to));
    return { csv, disposition: reportDisposition(owned.address, range.month) };
  }
}
