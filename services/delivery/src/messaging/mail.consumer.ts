import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Subjects, type AuditVerdict, type MailReceived, type MailSubmit, type SpamVerdict, type VirusVerdict } from '@torii/contracts';
import { JetStreamExceptionFilter } from '@torii/messaging';
import { IntakeService } from '../delivery/intake.service';
import { auditFacts, spamFacts, virusFacts } from '../verdicts/verdict-facts';

/** JetStream handlers: each stores what arrived (idempotently) and returns; the message is acked after. */
@Controller()
@UseFilters(new JetStreamExceptionFilter())
export class MailConsumer {
  constructor(private readonly intake: IntakeService) {}

  @EventPattern(Subjects.mailReceivedIn)
  receivedInbound(@Payload() event: MailReceived): Promise<void> {
    return this.intake.acceptReceived(event);
  }

  @EventPattern(Subjects.mailReceivedOut)
  receivedOutbound(@Payload() event: MailReceived): Promise<void> {
    return this.intake.acceptReceived(event);
  }

  @EventPattern(Subjects.mailSubmit)
  submitted(@Payload() event: MailSubmit): Promise<void> {
    return this.intake.acceptSubmit(event);
  }

  @EventPattern(Subjects.verdictSpam)
  spamVerdict(@Payload() verdict: SpamVerdict): Promise<void> {
    return this.intake.recordVerdict(verdict.messageId, spamFacts(verdict));
  }

  @EventPattern(Subjects.verdictVirus)
  virusVerdict(@Payload() verdict: VirusVerdict): Promise<void> {
    return this.intake.recordVerdict(verdict.messageId, virusFacts(verdict));
  }

  @EventPattern(Subjects.verdictAudit)
  auditVerdict(@Payload() verdict: AuditVerdict): Promise<void> {
    return this.intake.recordVerdict(verdict.messageId, auditFacts(verdict));
  }
}
