import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Subjects, type MailReceived } from '@torii/contracts';
import { JetStreamExceptionFilter } from '@torii/messaging';
import { ScoringService } from './scoring.service';

/** JetStream handler: judge, then the transport acks (PermanentError → dead letter, others → retry). */
@Controller()
@UseFilters(new JetStreamExceptionFilter())
export class ScoringConsumer {
  constructor(private readonly scoring: ScoringService) {}

  @EventPattern(Subjects.mailReceivedIn)
  received(@Payload() event: MailReceived): Promise<void> {
    return this.scoring.judge(event);
  }
}
