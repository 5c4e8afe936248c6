import {
  Codecs,
  DeliveryState,
  DeliveryStatusSchema,
  Direction,
  Subjects,
  create,
  timestampFromDate,
  type SpoolHandoff,
} from '@torii/contracts';
import type { OutboxEvent, RecipientStateName } from '../persistence/delivery.repository';

const STATES: Partial<Record<RecipientStateName, DeliveryState>> = {
  delivered: DeliveryState.DELIVERED,
  deferred: DeliveryState.DEFERRED,
  bounced: DeliveryState.BOUNCED,
  dropped: DeliveryState.DROPPED,
  quarantined: DeliveryState.QUARANTINED,
  held: DeliveryState.HELD,
};

export interface StatusFacts {
  messageId: string;
  tenantId: string;
  direction: 'inbound' | 'outbound';
  recipient: string;
  state: RecipientStateName;
  attempt: number;
  reason: string;
  remote?: { host: string; ip: string; code: number; enhanced: string; text: string };
  nextAttemptAt?: Date;
  /** A deferred recipient handed over to the spool. */
  handoff?: SpoolHandoff;
  now: Date;
}

/**
 * The DeliveryStatus event of one transition, or undefined for internal states (pending, delivering).
 * Its Nats-Msg-Id (message + recipient + status + attempt) makes a republished outbox row a no-op.
 */
export function statusEvent(f: StatusFacts): OutboxEvent | undefined {
  const status = STATES[f.state];
  if (status === undefined) return undefined;
  const event = create(DeliveryStatusSchema, {
    messageId: f.messageId,
    tenantId: f.tenantId,
    recipient: f.recipient,
    status,
    attempt: f.attempt,
    reason: f.reason,
    occurredAt: timestampFromDate(f.now),
    direction: f.direction === 'inbound' ? Direction.INBOUND : Direction.OUTBOUND,
    ...(f.remote
      ? { remote: { host: f.remote.host, ip: f.remote.ip, code: f.remote.code, enhancedCode: f.remote.enhanced, text: f.remote.text } }
      : {}),
    ...(f.nextAttemptAt ? { nextAttemptAt: timestampFromDate(f.nextAttemptAt) } : {}),
    ...(f.handoff ? { handoff: f.handoff } : {}),
  });
  return {
    subject: Subjects.delivery(status),
    msgId: `${f.messageId}:${f.recipient}:${f.state}:${f.attempt}`,
    typeName: Codecs.deliveryStatus.typeName,
    payload: Codecs.deliveryStatus.encode(event),
  };
}

/**
 * The DeliveryStatus event of one recipient's new state, from the message, the recipient row and its update;
 * `extra` adds what only some transitions have (the remote reply, the next attempt, a spool hand-off).
 */
export function recipientStatusEvent(
  message: { id: string; tenantId: string; direction: 'inbound' | 'outbound' },
  recipient: { address: string; attempts: number },
  update: { state: RecipientStateName; reason: string },
  now: Date,
  extra: Pick<StatusFacts, 'remote' | 'nextAttemptAt' | 'handoff'> = {},
): OutboxEvent | undefined {
  return statusEvent({
    messageId: message.id,
    tenantId: message.tenantId,
    direction: message.direction,
    recipient: recipient.address,
    state: update.state,
    attempt: recipient.attempts,
    reason: update.reason,
    now,
    ...extra,
  });
}
