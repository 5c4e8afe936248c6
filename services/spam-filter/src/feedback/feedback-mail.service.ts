import { HttpStatus, Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { FeedbackKind, type FeedbackMail } from '@torii/contracts';
import { ProblemException } from '@torii/http';
import { ObjectNotFoundError } from '@torii/storage';
import { describeError } from '@torii/errors';
import { counter } from '@torii/telemetry';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';
import type { FeedbackView } from './feedback.dto';
import { FeedbackService } from './feedback.service';
import { attachedMessages } from './feedback-mail.parse';
import { FeedbackMailRepository } from './feedback-mail.repository';

/** Enough for the headers of every attached message of any sensible report; the rest is not read. */
export const MAX_REPORT_BYTES = 25 * 1024 * 1024;

const attachments = counter(
  'torii_spam_feedback_mail_attachments_total',
  'Messages attached to reports received by mail, by outcome: learned, repeated (taught before), not-reportable (no Torii id the reporter may report)',
  ['outcome'],
);

/** What one attached message did. */
export type AttachmentOutcome =
  | { outcome: 'learned' | 'repeated'; messageId: string }
  | { outcome: 'not-reportable'; ids: string[] };

/**
 * SPAM14 by mail: the edge stored a report that a registered address of the tenant forwarded, through the
 * tenant's own server, to `spam@` or `not-spam@`. Each attached message is reported as that address would
 * report it in the console: FeedbackService applies the same rule (a user reports only mail addressed to
 * them), teaches once per message and audits what taught (`spam.feedback`, actor `mail:<reporter>`). The
 * report and its sidecar are deleted once read: a copy of the user's mail that nothing else needs.
 */
@Injectable()
export class FeedbackMailService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FeedbackMailService.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(
    @Inject(SPAM_FILTER_CONFIG) private readonly config: SpamFilterConfig,
    private readonly feedback: FeedbackService,
    private readonly reports: FeedbackMailRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.FEEDBACK_SWEEP_INTERVAL > 0) {
      this.timer = setInterval(() => void this.sweep(), this.config.FEEDBACK_SWEEP_INTERVAL);
      this.timer.unref();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /**
   * The edge answered 250 once the event was acknowledged, but NATS acknowledges before it syncs to disk: a
   * report whose event was lost still has its sidecar. Those older than FEEDBACK_SWEEP_GRACE are learned from
   * here (learning is once per message, so a report the consumer is handling at the same time teaches once).
   * Never throws; returns how many reports it handled.
   */
  sweep(now = new Date()): Promise<number> {
    this.sweeping ??= (async () => {
      let handled = 0;
      try {
        for await (const event of this.reports.unhandled(new Date(now.getTime() - this.config.FEEDBACK_SWEEP_GRACE))) {
          this.logger.warn(`feedback report ${event.reportId}: its event never came; learning from its sidecar`);
          await this.learn(event);
          handled++;
        }
      } catch (error) {
        this.logger.warn(`feedback sweep: ${describeError(error)}`);
      }
      return handled;
    })().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  async learn(event: FeedbackMail): Promise<AttachmentOutcome[]> {
    const kind = event.kind === FeedbackKind.FALSE_NEGATIVE ? 'false-negative' : event.kind === FeedbackKind.FALSE_POSITIVE ? 'false-positive' : undefined;
    if (!kind) {
      this.logger.warn(`feedback report ${event.reportId}: no kind, ignored`);
      return [];
    }
    let raw: Buffer;
    try {
      raw = await this.reports.readHead(event.objectKey, MAX_REPORT_BYTES);
    } catch (error) {
      // Redelivered after it was handled and deleted: nothing is left to do.
      if (error instanceof ObjectNotFoundError) {
        this.logger.log(`feedback report ${event.reportId}: no longer stored (handled before)`);
        await this.reports.delete(event.objectKey); // a sidecar left by a crash between the two deletes
        return [];
      }
      throw error;
    }
    const reporter = event.reporter.toLowerCase();
    // Principal.via names the API's ways in only; nothing reads it. The subject says where this came from.
    const principal: Principal = { subject: `mail:${reporter}`, role: 'user', tenantId: event.tenantId, address: reporter, via: 'jwt' };
    const outcomes: AttachmentOutcome[] = [];
    const attached = attachedMessages(raw);
    if (attached.length === 0) this.logger.log(`feedback report ${event.reportId} from ${reporter}: no attached message (forward as attachment)`);
    for (const { ids } of attached) {
      const outcome = await this.reportOne(event, ids, kind, principal);
      attachments.inc({ outcome: outcome.outcome });
      if (outcome.outcome === 'not-reportable')
        this.logger.log(`feedback report ${event.reportId} from ${reporter}: an attached message is not theirs to report (ids: ${ids.join(', ') || 'none'})`);
      outcomes.push(outcome);
    }
    await this.reports.delete(event.objectKey);
    return outcomes;
  }

  /** The first of the message's Torii ids that the reporter may report (the topmost is our delivery to them). */
  private async reportOne(event: FeedbackMail, ids: string[], kind: 'false-positive' | 'false-negative', principal: Principal): Promise<AttachmentOutcome> {
    for (const id of ids) {
      let view: FeedbackView;
      try {
        view = await this.feedback.report(event.tenantId, event.domain, id, kind, principal);
      } catch (error) {
        // Not scored for this tenant, not addressed to the reporter, or no longer stored: as the console says 404.
        if (error instanceof ProblemException && error.getStatus() === Number(HttpStatus.NOT_FOUND)) continue;
        throw error;
      }
      return { outcome: view.applied ? 'learned' : 'repeated', messageId: id };
    }
    return { outcome: 'not-reportable', ids };
  }
}
