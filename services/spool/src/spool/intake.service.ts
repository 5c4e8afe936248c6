import { Inject, Injectable, Logger } from '@nestjs/common';
import { Direction, DsnReturn, NotifyCondition, timestampDate, type DeliveryStatus } from '@torii/contracts';
import { SPOOL_CONFIG, type SpoolConfig } from '../config/spool.config';
import { DirectoryRepository } from '../directory/directory.repository';
import { CLOCK, type Clock } from '../schedule/clock';
import { diagnosticOf, scheduleFor, spoolTimes, statusOf, type Schedules } from '../schedule/schedule.rules';
import { SpoolWorker } from './spool.worker';
import { SpoolRepository, type DeferredFacts } from './spool.repository';

const NOTIFY: Partial<Record<NotifyCondition, string>> = {
  [NotifyCondition.SUCCESS]: 'success',
  [NotifyCondition.FAILURE]: 'failure',
  [NotifyCondition.DELAY]: 'delay',
  [NotifyCondition.NEVER]: 'never',
};
const RET: Partial<Record<DsnReturn, string>> = { [DsnReturn.FULL]: 'full', [DsnReturn.HDRS]: 'hdrs' };

/** Delivery's outcomes as the spool sees them: deferred mail comes in, delivered or bounced mail leaves. */
@Injectable()
export class SpoolIntakeService {
  private readonly logger = new Logger(SpoolIntakeService.name);
  private readonly schedules: Schedules;

  constructor(
    private readonly repository: SpoolRepository,
    private readonly directory: DirectoryRepository,
    private readonly worker: SpoolWorker,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SPOOL_CONFIG) config: SpoolConfig,
  ) {
    this.schedules = {
      secondary: { retryIntervalMs: config.SEC_RETRY_INTERVAL, delayNoticeAfterMs: config.SEC_DELAY_NOTICE_AFTER, giveUpAfterMs: config.SEC_GIVE_UP_AFTER },
      fallback: {
        retryIntervalMs: config.DEFAULT_RETRY_INTERVAL,
        delayNoticeAfterMs: config.DEFAULT_DELAY_NOTICE_AFTER,
        giveUpAfterMs: config.DEFAULT_GIVE_UP_AFTER,
      },
    };
  }

  /** A deferral handed over (it carries `handoff`); without one, delivery retries on its own. */
  async deferred(event: DeliveryStatus): Promise<void> {
    const handoff = event.handoff;
    if (!handoff) return;
    const now = this.clock.now();
    const recipient = handoff.envelope?.rcptTo.find((r) => r.address === event.recipient);
    const remote = event.remote;
    const facts: DeferredFacts = {
      messageId: event.messageId,
      tenantId: event.tenantId,
      domain: handoff.domain,
      direction: event.direction === Direction.OUTBOUND ? 'outbound' : 'inbound',
      bucket: handoff.bucket,
      objectKey: handoff.objectKey,
      size: handoff.size,
      mailFrom: handoff.envelope?.mailFrom ?? '',
      ret: RET[handoff.envelope?.ret ?? DsnReturn.UNSPECIFIED] ?? 'unspecified',
      envid: handoff.envelope?.envid ?? '',
      receivedAt: handoff.receivedAt ? timestampDate(handoff.receivedAt) : now,
      firstFailedAt: handoff.firstFailedAt ? timestampDate(handoff.firstFailedAt) : now,
      recipient: {
        address: event.recipient,
        notify: (recipient?.notify ?? []).flatMap((n) => NOTIFY[n] ?? []),
        orcpt: recipient?.orcpt ?? '',
      },
      reply: {
        status: statusOf(remote?.code ?? 0, remote?.enhancedCode ?? ''),
        diagnostic: diagnosticOf(remote?.code ?? 0, remote?.enhancedCode ?? '', remote?.text ?? ''),
        host: remote?.host ?? '',
      },
    };
    const subscription = (await this.directory.domain(facts.domain))?.services?.secondary?.subscribed;
    const schedule = scheduleFor(this.schedules, subscription);
    const times = spoolTimes(schedule, facts.firstFailedAt, now);
    if (!(await this.repository.acceptDeferred(facts, { ...times, retryIntervalMs: schedule.retryIntervalMs }, now))) {
      this.logger.log(`message ${facts.messageId} to ${facts.recipient.address}: a deferral older than its final outcome, ignored`);
      return;
    }
    this.worker.stateChanged();
  }

  /** Delivered: the recipient leaves the spool; an inbound success also means the domain's server is back. */
  async delivered(event: DeliveryStatus): Promise<void> {
    await this.repository.resolveRecipient(event.messageId, event.recipient, event.attempt, this.clock.now());
    if (event.direction === Direction.INBOUND) {
      const domain = event.recipient.slice(event.recipient.lastIndexOf('@') + 1).toLowerCase();
      const due = await this.repository.makeDomainDue(domain, this.clock.now(), 'inbound');
      if (due > 0) this.logger.log(`${domain}: delivery succeeded, draining ${due} spooled messages`);
    }
    this.worker.stateChanged();
  }

  async bounced(event: DeliveryStatus): Promise<void> {
    if (await this.repository.resolveRecipient(event.messageId, event.recipient, event.attempt, this.clock.now())) this.worker.stateChanged();
  }
}
