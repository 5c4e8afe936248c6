import { Direction } from './gen/torii/mail/v1/common_pb';
import { DeliveryState } from './gen/torii/mail/v1/delivery_pb';
import { VerdictKind } from './gen/torii/mail/v1/verdicts_pb';
import { ContractValueError } from './errors';

/** Subject token of a direction: `mail.received.in` / `mail.received.out`. */
export function directionToken(direction: Direction): 'in' | 'out' {
  switch (direction) {
    case Direction.INBOUND:
      return 'in';
    case Direction.OUTBOUND:
      return 'out';
    case Direction.UNSPECIFIED:
    default:
      throw new ContractValueError(`no subject for direction ${String(direction)}`);
  }
}

const verdictTokens = {
  [VerdictKind.SPAM]: 'spam',
  [VerdictKind.VIRUS]: 'virus',
  [VerdictKind.AUDIT]: 'audit',
} as const;

/** Subject token of a verdict kind, also the value used in MailSubmit.bypass: "spam" | "virus" | "audit". */
export type VerdictToken = (typeof verdictTokens)[keyof typeof verdictTokens];

export function verdictToken(kind: VerdictKind): VerdictToken {
  const token = (verdictTokens as Partial<Record<VerdictKind, VerdictToken>>)[kind];
  if (token === undefined) throw new ContractValueError(`no subject for verdict kind ${String(kind)}`);
  return token;
}

const deliveryTokens = {
  [DeliveryState.DELIVERED]: 'delivered',
  [DeliveryState.DEFERRED]: 'deferred',
  [DeliveryState.BOUNCED]: 'bounced',
  [DeliveryState.DROPPED]: 'dropped',
  [DeliveryState.QUARANTINED]: 'quarantined',
  [DeliveryState.HELD]: 'held',
} as const;

/** Subject token of a delivery state: "delivered", "deferred", ... */
export type DeliveryToken = (typeof deliveryTokens)[keyof typeof deliveryTokens];

export function deliveryToken(state: DeliveryState): DeliveryToken {
  const token = (deliveryTokens as Partial<Record<DeliveryState, DeliveryToken>>)[state];
  if (token === undefined) throw new ContractValueError(`no subject for delivery state ${String(state)}`);
  return token;
}

/** One subject token: no dots, wildcards or white space (they would change what the subject matches). */
function subjectToken(value: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new ContractValueError(`not a subject token: "${value}"`);
  return value;
}

/** Every NATS subject Torii uses. Streams capturing them are in streams.ts. */
export const Subjects = {
  /** MailReceived, by direction (stream MAIL). */
  mailReceived: (direction: Direction): `mail.received.${'in' | 'out'}` =>
    `mail.received.${directionToken(direction)}`,
  mailReceivedIn: 'mail.received.in',
  mailReceivedOut: 'mail.received.out',
  /** Both directions, for consumer filters. */
  mailReceivedAny: 'mail.received.*',
  /** MailSubmit (stream MAIL). */
  mailSubmit: 'mail.submit',
  /** FeedbackMail: a report forwarded to the feedback address, stored by the edge (stream MAIL). */
  mailFeedback: 'mail.feedback',

  /** SpamVerdict / VirusVerdict / AuditVerdict (stream VERDICTS). */
  verdict: (kind: VerdictKind): `verdict.${VerdictToken}` => `verdict.${verdictToken(kind)}`,
  verdictSpam: 'verdict.spam',
  verdictVirus: 'verdict.virus',
  verdictAudit: 'verdict.audit',
  verdictAny: 'verdict.*',

  /** DeliveryStatus, by state (stream DELIVERY). */
  delivery: (state: DeliveryState): `delivery.${DeliveryToken}` => `delivery.${deliveryToken(state)}`,
  /** Command to delivery: release a held or quarantined message (stream DELIVERY; no contract yet). */
  deliveryRelease: 'delivery.release',
  /** DeliveryRetry: command from spool to delivery, try deferred recipients again or give up (stream DELIVERY). */
  deliveryRetry: 'delivery.retry',
  deliveryAny: 'delivery.>',

  /** DirectoryChanged (stream TENANT). */
  directoryChanged: 'directory.changed',
  /** TenantChanged (stream TENANT). */
  tenantChanged: 'tenant.changed',

  /** Dead letters of one consumer of one stream (stream DLQ). */
  dlq: (stream: string, consumer: string): string => `dlq.${subjectToken(stream)}.${subjectToken(consumer)}`,
  dlqAny: 'dlq.>',
} as const;
