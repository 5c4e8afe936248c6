import { Inject, Injectable, Logger } from '@nestjs/common';
import { canAccessTenant, type Principal } from '@torii/auth';
import { ContractValueError } from '@torii/contracts';
import { ProblemException } from '@torii/http';
import { SPOOL_CONFIG, type SpoolConfig } from '../config/spool.config';
import { DirectoryRepository } from '../directory/directory.repository';
import { CLOCK, type Clock } from '../schedule/clock';
import { isFull } from '../schedule/schedule.rules';
import { SpoolRepository } from '../spool/spool.repository';
import { SpoolWorker } from '../spool/spool.worker';
import { presentDomain, type DomainSpoolResponseDto, type SpoolOverviewResponseDto } from './spool.dto';

/** The spool as the API shows it; another tenant's domain is "not found" (nothing leaks). */
@Injectable()
export class SpoolQueryService {
  private readonly logger = new Logger(SpoolQueryService.name);

  constructor(
    private readonly repository: SpoolRepository,
    private readonly worker: SpoolWorker,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SPOOL_CONFIG) private readonly config: SpoolConfig,
    private readonly directory: DirectoryRepository,
  ) {}

  async domain(principal: Principal, tenantId: string, domain: string): Promise<DomainSpoolResponseDto> {
    const name = this.checkAccess(principal, tenantId, domain);
    const [row] = await this.repository.domainSummaries({ domain: name });
    await this.checkOwner(row?.tenantId, tenantId, name);
    return presentDomain(row, name);
  }

  /** Flush now: the domain's spooled mail is due at once (still drained with bounded concurrency). */
  async flush(principal: Principal, tenantId: string, domain: string): Promise<{ domain: string; messagesDue: number }> {
    const name = this.checkAccess(principal, tenantId, domain);
    const [row] = await this.repository.domainSummaries({ domain: name });
    await this.checkOwner(row?.tenantId, tenantId, name);
    const due = row ? await this.repository.makeDomainDue(name, this.clock.now()) : 0;
    // Who asked: a flush only makes waiting mail due now (nothing is changed or lost), so a log line, not an audit row.
    this.logger.log(`domain ${name}: flush by ${principal.role} ${principal.subject}, ${due} message(s) due now`);
    this.worker.nudge();
    return { domain: name, messagesDue: due };
  }

  async overview(): Promise<SpoolOverviewResponseDto> {
    const [totals, rows] = await Promise.all([this.repository.totals(), this.repository.domainSummaries()]);
    const limit = BigInt(this.config.SPOOL_CAPACITY_BYTES);
    return {
      bytes: Number(totals.bytes),
      limitBytes: Number(limit),
      full: isFull(totals.bytes, limit),
      messages: totals.messages,
      domains: rows.map((r) => ({ ...presentDomain(r, r.domain), tenantId: r.tenantId })),
    };
  }

  /**
   * The domain is the tenant's: by its spooled mail, or (nothing spooled) by the directory. A domain that is
   * nobody's, or another tenant's, is "not found" rather than an empty spool.
   */
  private async checkOwner(spooledFor: string | undefined, tenantId: string, name: string): Promise<void> {
    if (spooledFor !== undefined) {
      if (spooledFor !== tenantId) throw notFound(name);
      return;
    }
    let entry: Awaited<ReturnType<DirectoryRepository['domain']>>;
    try {
      entry = await this.directory.domain(name);
    } catch (error) {
      if (error instanceof ContractValueError) throw notFound(name); // not a domain name at all
      throw error;
    }
    if (!entry || entry.tenantId !== tenantId) throw notFound(name);
  }

  private checkAccess(principal: Principal, tenantId: string, domain: string): string {
    if (!canAccessTenant(principal, tenantId)) throw new ProblemException({ status: 404, title: 'Not Found', detail: 'no such tenant' });
    return domain.trim().toLowerCase();
  }
}

function notFound(domain: string): ProblemException {
  return new ProblemException({ status: 404, title: 'Not Found', detail: `no domain ${domain}` });
}
