import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { ObjectNotFoundError } from '@torii/storage';
import { counter } from '@torii/telemetry';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';
import { ModelService } from '../model/model.service';
import { PolicyService } from '../policy/policy.service';
import { notFound } from '../problems';
import { MessageStoreRepository } from '../scoring/message-store.repository';
import { ScoredRepository } from '../scoring/scored.repository';
import { engineInput, type StoredInput } from '../scoring/scoring.service';
import type { FeedbackView } from './feedback.dto';
import { FeedbackRepository } from './feedback.repository';

/** Thrown inside the learning transaction to roll it back when this message was already reported. */
class AlreadyReported extends Error {}

const reports = counter('torii_spam_feedback_total', 'Feedback reports, by kind and whether they taught (a repeat does not)', ['kind', 'applied']);

/**
 * SPAM14: a report teaches the tenant's delta at once (this replica; others within FEEDBACK_MERGE_INTERVAL)
 * and, through the bounded merge, the shared model. Statistical: one report nudges, it need not flip.
 */
@Injectable()
export class FeedbackService {
  constructor(
    @Inject(SPAM_FILTER_CONFIG) private readonly config: SpamFilterConfig,
    private readonly policies: PolicyService,
    private readonly scored: ScoredRepository,
    private readonly messages: MessageStoreRepository,
    private readonly models: ModelService,
    private readonly feedback: FeedbackRepository,
  ) {}

  async report(tenantId: string, domain: string, messageId: string, kind: 'false-positive' | 'false-negative', actor: Principal): Promise<FeedbackView> {
    const name = await this.policies.ownedDomain(tenantId, domain);
    const record = await this.scored.find(messageId);
    // A user reports only mail addressed to them; anything else is not theirs to see (404).
    const visible = record && record.tenantId === tenantId && record.domain === name && (actor.role !== 'user' || record.recipients.includes((actor.address ?? '').toLowerCase()));
    if (!record || !visible) throw notFound(`message ${messageId}`);
    let raw: Buffer;
    try {
      raw = await this.messages.readHead(record.objectKey, this.config.SCORE_MAX_BYTES);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) throw notFound(`message ${messageId} (no longer stored)`);
      throw error;
    }
    const label = kind === 'false-positive' ? 'ham' : 'spam';
    const { input } = engineInput(raw, record.input as unknown as StoredInput);
    // The score now (earlier reports of other mail may have moved it since it arrived) and after this report.
    const scoreBefore = this.models.score(tenantId, input).header;
    // The report's row, the learning and its audit are one transaction: a failure keeps none of them (the
    // report can be sent again), and a repeat of a report keeps its first answer.
    let applied = true;
    try {
      await this.models.learn(tenantId, input, label, async (tx) => {
        if (!(await this.feedback.record(tx, tenantId, messageId, label, actor.subject))) throw new AlreadyReported();
        await this.feedback.audit(tx, actor, tenantId, name, messageId, kind);
      });
    } catch (error) {
      if (!(error instanceof AlreadyReported)) throw error;
      applied = false;
    }
    reports.inc({ kind, applied: String(applied) });
    if (!applied) {
      // A message teaches once: say what the earlier report taught, not what this one would have.
      const earlier = await this.feedback.find(tenantId, messageId);
      return {
        messageId,
        learned: null,
        applied: false,
        ...(earlier && { earlier: { kind: earlier.label === 'ham' ? 'false-positive' : 'false-negative', at: earlier.at.toISOString() } }),
        scoreBefore,
        scoreAfter: scoreBefore,
      };
    }
    return { messageId, learned: label, applied: true, scoreBefore, scoreAfter: this.models.score(tenantId, input).header };
  }
}
