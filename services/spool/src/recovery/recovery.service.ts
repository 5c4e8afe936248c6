import { Inject, Injectable, Logger } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { counter } from '@torii/telemetry';
import { SPOOL_CONFIG, type SpoolConfig } from '../config/spool.config';
import { DirectoryRepository } from '../directory/directory.repository';
import { CLOCK, type Clock } from '../schedule/clock';
import { SpoolLocks, SpoolRepository } from '../spool/spool.repository';
import { probeSmtpServer, type ProbeResult } from './server-probe';

const probes = counter('torii_spool_probes_total', 'Probes of down tenant servers', ['result']);

/**
 * SEC3: notices a tenant server coming back. One replica at a time probes each down domain's server
 * (TCP + banner + EHLO); when it answers, the domain's spooled mail is made due at once and the claim
 * drains it in order of arrival with bounded concurrency.
 */
@Injectable()
export class RecoveryService {
  private readonly logger = new Logger(RecoveryService.name);

  constructor(
    private readonly repository: SpoolRepository,
    private readonly directory: DirectoryRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SPOOL_CONFIG) private readonly config: SpoolConfig,
  ) {}

  /** Returns how many domains came back. */
  async probeDownServers(): Promise<number> {
    let recovered = 0;
    await this.repository.withAdvisoryLock(SpoolLocks.probe, async () => {
      const domains = await this.repository.probeTargets(this.clock.now());
      for (const domain of domains) {
        if (await this.probe(domain)) recovered++;
      }
    });
    return recovered;
  }

  private async probe(domain: string): Promise<boolean> {
    let result: ProbeResult;
    try {
      const server = (await this.directory.domain(domain))?.server;
      const host = server?.ips[0] || server?.hostname;
      if (!server || !host) return false;
      result = await probeSmtpServer({ host, port: server.port || 25 }, this.config.GATEWAY_HOSTNAME, this.config.PROBE_TIMEOUT);
    } catch (error) {
      result = { up: false, reason: describeError(error) };
    }
    probes.inc({ result: result.up ? 'up' : 'down' });
    if (!result.up) return false;
    const due = await this.repository.makeDomainDue(domain, this.clock.now(), 'inbound');
    this.logger.log(`${domain}: server answers again, draining ${due} spooled messages`);
    return due > 0;
  }
}
