import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Subjects, type FeedbackMail } from '@torii/contracts';
import { JetStreamExceptionFilter } from '@torii/messaging';
import { FeedbackMailService } from './feedback-mail.service';

/** `mail.feedback`: a report forwarded to the feedback address (SPAM14 by mail); learn from its attachments. */
@Controller()
@UseFilters(new JetStreamExceptionFilter())
export class FeedbackMailConsumer {
  constructor(private readonly reports: FeedbackMailService) {}

  @EventPattern(Subjects.mailFeedback)
  async received(@Payload() event: FeedbackMail): Promise<void> {
    await this.reports.learn(event);
  }
}
