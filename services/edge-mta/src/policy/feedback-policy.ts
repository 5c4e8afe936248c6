import { Direction, FeedbackKind, type DomainDirectory } from '@torii/contracts';

/** The feedback addresses' local parts (SPAM14) and what a report to each says. */
export const FEEDBACK_ADDRESSES: ReadonlyMap<string, FeedbackKind> = new Map([
  ['spam', FeedbackKind.FALSE_NEGATIVE],
  ['not-spam', FeedbackKind.FALSE_POSITIVE],
]);

/** What the edge answers to one RCPT TO as far as the feedback addresses go. Pure: no Haraka, no NATS. */
export type FeedbackDecision =
  /** Not a feedback address, and the transaction is no report: the usual recipient rules apply. */
  | { kind: 'not-feedback' }
  | { kind: 'accept'; report: FeedbackKind }
  /** On the inbound port (or not relayed): 550 5.7.1, reports come only through the tenant's own server. */
  | { kind: 'inbound' }
  /** Another local part of the feedback domain: 550 5.1.1. */
  | { kind: 'unknown-address' }
  /** The sender is not a registered address of its domain (or is the null sender): 550 5.7.1. */
  | { kind: 'unregistered-sender' }
  /** The sender's domain has no spam filtering: there is nothing to teach, 550 5.7.1. */
  | { kind: 'not-subscribed' }
  /**
   * A report and other recipients (or both feedback addresses) in one transaction: 452 4.5.3, the sending
   * server sends the rest again in a transaction of its own. A report is stored and relayed nowhere, mail is
   * relayed and not kept: one transaction cannot be both.
   */
  | { kind: 'mixed' };

export interface FeedbackInput {
  /** The edge's FEEDBACK_DOMAIN, lowercase; undefined when feedback by mail is off. */
  feedbackDomain: string | undefined;
  recipientLocalPart: string;
  recipientDomain: string;
  listener: 'inbound' | 'relay';
  /** The transaction's direction, decided at MAIL FROM (outbound: relay from a registered server allowed). */
  direction: Direction | undefined;
  /** Local part of MAIL FROM; undefined for the null sender. */
  senderLocalPart: string | undefined;
  /** The snapshot of the transaction's domain (the sender's, for relayed mail). */
  senderDirectory: DomainDirectory | undefined;
  /** What the transaction already accepted: a report of this kind, and how many recipients. */
  transactionReport: FeedbackKind | undefined;
  transactionRecipients: number;
}

export function decideFeedbackRecipient(input: FeedbackInput): FeedbackDecision {
  const isFeedback = input.feedbackDomain !== undefined && input.recipientDomain.toLowerCase() === input.feedbackDomain;
  if (!isFeedback) return input.transactionReport === undefined ? { kind: 'not-feedback' } : { kind: 'mixed' };
  if (input.listener !== 'relay' || input.direction !== Direction.OUTBOUND) return { kind: 'inbound' };
  const report = FEEDBACK_ADDRESSES.get(input.recipientLocalPart.toLowerCase());
  if (report === undefined) return { kind: 'unknown-address' };
  const directory = input.senderDirectory;
  const sender = input.senderLocalPart?.toLowerCase();
  if (sender === undefined || !directory?.addresses.some((a) => a.localPart.toLowerCase() === sender)) return { kind: 'unregistered-sender' };
  if (!directory.services?.spam?.subscribed) return { kind: 'not-subscribed' };
  if (input.transactionRecipients > 0 && input.transactionReport !== report) return { kind: 'mixed' };
  return { kind: 'accept', report };
}
