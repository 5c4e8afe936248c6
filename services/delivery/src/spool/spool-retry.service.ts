import { Injectable, Logger } from '@nestjs/common';
import { RetryAction, type DeliveryRetry } from '@torii/contracts';
import { PermanentError } from '@torii/errors';
import { DeliveryWorker } from '../delivery/delivery.worker';
import { statusEvent } from '../delivery/status-events';
import { OutboxRelay } from '../messaging/outbox.relay';
import { SpoolRetryRepository } from './spool-retry.repository';

/** Carries out the spool's commands: retry deferred recipients now, or give them up (failure DSN here). */
@Injectable()
export class SpoolRetryService {
  private readonly logger = new Logger(SpoolRetryService.name);

  constructor(
    private readonly repository: SpoolRetryRepository,
    private readonly worker: DeliveryWorker,
    private readonly outbox: OutboxRelay,
  ) {}

  async handle(command: DeliveryRetry): Promise<void> {
    const now = new Date();
    switch (command.action) {
      case RetryAction.RETRY: {
        const due = await this.repository.makeDue(command.messageId, command.recipients, now);
        if (due > 0) this.worker.nudge();
        return;
      }
      case RetryAction.EXPIRE: {
        const expired = await this.repository.expire(command.messageId, command.recipients, (message, recipients) =>
          recipients.flatMap(
            (r) =>
              statusEvent({
                messageId: command.messageId,
                tenantId: message.tenantId,
                direction: message.direction,
                recipient: r.address,
                state: 'bounced',
                attempt: r.attempts,
                reason: 'expired',
                remote: r.remote,
                now,
              }) ?? [],
          ),
        );
        if (expired > 0) {
          this.logger.log(`message ${command.messageId}: ${expired} recipients expired in the spool, bounced`);
          this.worker.nudge();
          this.outbox.nudge();
        }
        return;
      }
      case RetryAction.UNSPECIFIED:
        throw new PermanentError(`delivery.retry ${command.retryId}: no action`);
    }
  }
}
