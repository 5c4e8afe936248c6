import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { DeliveryStatus } from '@torii/contracts';
import { JetStreamExceptionFilter } from '@torii/messaging';
import { QuarantineJobs } from './quarantine.jobs';
import { QuarantineService } from './quarantine.service';

/** `delivery.quarantined`: delivery did quarantine this recipient; file it (or bounce when the box is full). */
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
}
