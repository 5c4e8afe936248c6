import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { Codecs, spamActionName } from '@torii/contracts';
import { PolicyService } from '../policy/policy.service';
import { notFound } from '../problems';
import { ScoredRepository } from '../scoring/scored.repository';
import { balanceOf, readStoredReasons, type ReasonView } from './reasons';

export interface SpamVerdictView {
  messageId: string;
  domain: string;
  scoredAt: string;
  /** The `X-<Brand>-Spam-Check` value, e.g. `98.00%`. */
  score: string;
  scorePercent: number;
  modelVersion: string;
  /** The `X-<Brand>-Spam-Reasons` value stamped on delivered copies. */
  explanation: string;
  /** The strongest evidence each way, strongest first, as it was when the message was scored. */
  reasons: { spam: ReasonView[]; ham: ReasonView[] };
  /**
   * How the evidence adds up: `logOdds` is the total behind the score, `shown` the sum of the reasons above,
   * `rest` the model's starting point and all weaker evidence (logOdds = shown + rest). Absent for old rows.
   */
  balance?: { logOdds: number; shown: number; rest: number };
  /** Every rule that fired. */
  rules: string[];
  /** What each recipient's policy did, and why; a user sees only their own. */
  recipients: { address: string; action: string; subjectTag: string | null; reason: string }[];
}

/** SPAM4: why a message got its score and what each recipient's policy did with it. */
@Injectable()
export class VerdictsService {
  constructor(
    private readonly policies: PolicyService,
    private readonly scored: ScoredRepository,
  ) {}

  async find(tenantId: string, domain: string, messageId: string, actor: Principal): Promise<SpamVerdictView> {
    const name = await this.policies.ownedDomain(tenantId, domain);
    const record = await this.scored.find(messageId);
    const own = (actor.address ?? '').toLowerCase();
    // As for feedback: a user sees only mail addressed to them; anything else is "not found".
    if (!record || record.tenantId !== tenantId || record.domain !== name || (actor.role === 'user' && !record.recipients.includes(own))) {
      throw notFound(`message ${messageId}`);
    }
    const verdict = Codecs.spamVerdict.decode(record.verdict);
    const reasons = readStoredReasons(record.reasons);
    return {
      messageId: record.messageId,
      domain: record.domain,
      scoredAt: record.scoredAt.toISOString(),
      score: verdict.headerValue,
      scorePercent: record.scorePercent,
      modelVersion: verdict.modelVersion,
      explanation: verdict.explanation,
      reasons: { spam: reasons.spam, ham: reasons.ham },
      ...(balanceOf(reasons) ? { balance: balanceOf(reasons) } : {}),
      rules: reasons.rules,
      recipients: verdict.recipients
        .filter((r) => actor.role !== 'user' || r.recipient.toLowerCase() === own)
        .map((r) => ({ address: r.recipient, action: spamActionName(r.action), subjectTag: r.subjectTag || null, reason: r.reason })),
    };
  }
}
