import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Prisma } from '../../generated/prisma';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import { recipientOutcomes } from '../delivery/delivery.metrics';
import { statusEvent } from '../delivery/status-events';
import type {
  EvaluationResult,
  MessageWithRecipients,
  OutboxEvent,
  RecipientStateName,
  RecipientUpdate,
  VerdictRow,
} from '../persistence/delivery.repository';
import { RELEASED_REASON } from '../persistence/delivery.repository';
import { joinVerdicts, type JoinPolicy, type RecipientDecision, type VerdictFacts, type VerdictKindName } from './verdict-join.rules';

const STATE_OF: Record<RecipientDecision['action'], RecipientStateName> = {
  deliver: 'pending',
  quarantine: 'quarantined',
  drop: 'dropped',
  hold: 'held',
  bounce: 'bounced',
};

/** Applies the pure verdict join to a stored message and turns its decisions into row updates and events. */
@Injectable()
export class JoinService {
  private readonly logger = new Logger(JoinService.name);

  constructor(@Inject(DELIVERY_CONFIG) private readonly config: DeliveryConfig) {}

  decide(message: MessageWithRecipients, verdicts: VerdictRow[], now = new Date()): EvaluationResult {
    const outcome = joinVerdicts({
      recipients: message.recipients.map((r) => r.address),
      required: message.requiredVerdicts as VerdictKindName[],
      verdicts: verdicts.map((v) => v.payload as unknown as VerdictFacts),
      policy: message.verdictPolicy as unknown as JoinPolicy,
      startedAt: message.createdAt.getTime(),
      now: now.getTime(),
      brand: this.config.TORII_BRAND,
      direction: message.direction,
      released: message.recipients.filter((r) => r.reason === RELEASED_REASON).map((r) => r.address),
    });
    if (outcome.status === 'wait') return { kind: 'wait', until: new Date(outcome.until) };
    for (const note of outcome.notes) this.logger.warn(`message ${message.id}: ${note}`);
    const updates: RecipientUpdate[] = [];
    const events: OutboxEvent[] = [];
    for (const recipient of message.recipients) {
      const decision = outcome.decisions.get(recipient.address);
      if (!decision) continue;
      const state = STATE_OF[decision.action];
      const bounce = decision.action === 'bounce';
      updates.push({
        id: recipient.id,
        state,
        reason: decision.reason,
        ...(decision.action === 'deliver' ? { treatment: decision.treatment as unknown as Prisma.InputJsonValue } : {}),
        ...(bounce
          ? { dsnPending: true, reply: { code: 550, enhanced: '5.7.1', text: `Message refused by policy (${decision.reason})`, host: '', ip: '' } }
          : {}),
      });
      const event = statusEvent({
        messageId: message.id,
        tenantId: message.tenantId,
        direction: message.direction,
        recipient: recipient.address,
        state,
        attempt: 0,
        reason: decision.reason,
        now,
      });
      if (event) events.push(event);
    }
    for (const u of updates) if (u.state !== 'pending') recipientOutcomes.inc({ direction: message.direction, state: u.state });
    return { kind: 'decided', updates, events };
  }
}
