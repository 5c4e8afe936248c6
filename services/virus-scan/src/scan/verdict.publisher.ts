import { Injectable } from '@nestjs/common';
import { Codecs, Subjects, type MailSubmit, type VirusVerdict } from '@torii/contracts';
import { JetStreamPublisher } from '@torii/messaging';

/** What virus-scan publishes: verdicts on `verdict.virus`, warning mails on `mail.submit`. Deduplicated by id. */
@Injectable()
export class VerdictPublisher {
  constructor(private readonly publisher: JetStreamPublisher) {}

  async verdict(verdict: VirusVerdict): Promise<void> {
    await this.publisher.publish(Subjects.verdictVirus, Codecs.virusVerdict, verdict, { msgId: `${verdict.messageId}:virus` });
  }

  async submit(submit: MailSubmit): Promise<void> {
    await this.publisher.publish(Subjects.mailSubmit, Codecs.mailSubmit, submit, { msgId: submit.submitId });
  }
}
