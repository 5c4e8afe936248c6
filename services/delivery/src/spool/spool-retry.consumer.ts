import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Subjects, type DeliveryRetry } from '@torii/contracts';
import { JetStreamExceptionFilter } from '@torii/messaging';
import { SpoolRetryService } from './spool-retry.service';

/** `delivery.retry` from the spool; acked once the rows are updated. */
@Controller()
@UseFilters(new JetStreamExceptionFilter())
export class SpoolRetryConsumer {
  constructor(private readonly retries: SpoolRetryService) {}

  @EventPattern(Subjects.deliveryRetry)
  retry(@Payload() command: DeliveryRetry): Promise<void> {
    return this.retries.handle(command);
  }
}
