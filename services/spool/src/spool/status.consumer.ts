import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { DeliveryState, Subjects, type DeliveryStatus } from '@torii/contracts';
import { JetStreamExceptionFilter } from '@torii/messaging';
import { SpoolIntakeService } from './intake.service';

/** Delivery's outcomes (one consumer on `delivery.>`, in stream order); each handler commits, then it is acked. */
@Controller()
@UseFilters(new JetStreamExceptionFilter())
export class StatusConsumer {
  constructor(private readonly intake: SpoolIntakeService) {}

  @EventPattern(Subjects.delivery(DeliveryState.DEFERRED))
  deferred(@Payload() event: DeliveryStatus): Promise<void> {
    return this.intake.deferred(event);
  }

  @EventPattern(Subjects.delivery(DeliveryState.DELIVERED))
  delivered(@Payload() event: DeliveryStatus): Promise<void> {
    return this.intake.delivered(event);
  }

  @EventPattern(Subjects.delivery(DeliveryState.BOUNCED))
  bounced(@Payload() event: DeliveryStatus): Promise<void> {
    return this.intake.bounced(event);
  }

  /** Everything else on the stream (retry commands, quarantined, held, ...) is not the spool's business. */
  @EventPattern(Subjects.deliveryAny)
  ignored(@Payload() _event: unknown): void {
    return undefined;
  }
}
