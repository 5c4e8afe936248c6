import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Subjects, type MailReceived } from '@torii/contracts';
import { JetStreamExceptionFilter } from '@torii/messaging';
import { ScanService } from './scan.service';

/** Received mail in both directions (AV1); acked once the verdict is published, nak'ed while clamd is away. */
@Controller()
@UseFilters(new JetStreamExceptionFilter())
export class MailConsumer {
  constructor(private readonly scans: ScanService) {}

  @EventPattern(Subjects.mailReceivedIn)
  inbound(@Payload() event: MailReceived): Promise<void> {
    return this.scans.scanReceived(event);
  }

  @EventPattern(Subjects.mailReceivedOut)
  outbound(@Payload() event: MailReceived): Promise<void> {
    return this.scans.scanReceived(event);
  }
}
