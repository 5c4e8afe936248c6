import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Subjects, type DeliveryStatus, type VirusVerdict } from '@torii/contracts';
import { JetStreamExceptionFilter } from '@torii/messaging';
import { QuarantineJobs } from './quarantine.jobs';
import { QuarantineService } from './quarantine.service';

/**
 * `delivery.quarantined`: delivery did quarantine this recipient; file it (or bounce when the box is full).
 * `verdict.virus`: which messages were found infected (a quarantined one is not forwarded out of the domain).
 */
@Controller()
@UseFilters(new JetStreamExceptionFilter())
export class QuarantineConsumer {
  constructor(
    private readonly quarantine: QuarantineService,
    private readonly jobs: QuarantineJobs,
  ) {}

  @EventPattern('delivery.quarantined')
  async quarantined(@Payload() status: DeliveryStatus): Promise<void> {
    const notices = await this.quarantine.onQuarantined(status);
    if (notices.length > 0) await this.jobs.relay();
  }

  @EventPattern(Subjects.verdictVirus)
  async virus(@Payload() verdict: VirusVerdict): Promise<void> {
    await this.quarantine.onVirusVerdict(verdict);
  }
}
