import { Injectable } from '@nestjs/common';
import { Codecs, Subjects, type SpamVerdict } from '@torii/contracts';
import { JetStreamPublisher } from '@torii/messaging';

/** Publishes spam verdicts on `verdict.spam`; the msg id makes a republish a no-op inside the dedup window. */
@Injectable()
export class VerdictPublisher {
  constructor(private readonly publisher: JetStreamPublisher) {}

  async publish(verdict: SpamVerdict): Promise<void> {
    await this.publisher.publish(Subjects.verdictSpam, Codecs.spamVerdict, verdict, { msgId: `spam:${verdict.messageId}`, expectStream: 'VERDICTS' });
  }
}
