import { Injectable } from '@nestjs/common';
import { Codecs, DeliveryRetrySchema, RetryAction, Subjects, create, timestampFromDate, type MailSubmit } from '@torii/contracts';
import { JetStreamPublisher } from '@torii/messaging';
import { createHash } from 'node:crypto';

/** What the spool publishes: retry/expire commands to delivery, composed DSNs to mail.submit. */
@Injectable()
export class SpoolBus {
  constructor(private readonly publisher: JetStreamPublisher) {}

  /**
   * Nats-Msg-Id = message + attempt (or "expire") + which recipients: a command repeated after a crash is
   * stored once, while a later command for other recipients of the same message (spooled again after an
   * earlier expiry, inside the stream's duplicate window) is not mistaken for it.
   */
  async requestRetry(messageId: string, recipients: string[], attempt: number, reason: string, now: Date): Promise<void> {
    const retryId = `${messageId}:retry:${attempt}:${recipientsTag(recipients)}`;
    await this.publisher.publish(
      Subjects.deliveryRetry,
      Codecs.deliveryRetry,
      create(DeliveryRetrySchema, { retryId, messageId, recipients, action: RetryAction.RETRY, reason, requestedAt: timestampFromDate(now) }),
      { msgId: retryId },
    );
  }

  async requestExpiry(messageId: string, recipients: string[], now: Date): Promise<void> {
    const retryId = `${messageId}:expire:${recipientsTag(recipients)}`;
    await this.publisher.publish(
      Subjects.deliveryRetry,
      Codecs.deliveryRetry,
      create(DeliveryRetrySchema, { retryId, messageId, recipients, action: RetryAction.EXPIRE, reason: 'expired', requestedAt: timestampFromDate(now) }),
      { msgId: retryId },
    );
  }

  async submit(submission: MailSubmit): Promise<void> {
    await this.publisher.publish(Subjects.mailSubmit, Codecs.mailSubmit, submission, { msgId: submission.submitId });
  }
}

/** A short, order-independent tag of a recipient list. */
export function recipientsTag(recipients: string[]): string {
  return createHash('sha256').update([...recipients].sort().join('\n')).digest('hex').slice(0, 16);
}
