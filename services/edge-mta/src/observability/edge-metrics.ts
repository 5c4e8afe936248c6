import { counter, histogram } from '@torii/telemetry';

/** The edge's Prometheus series. Refusal reasons are a closed set (see RefusalReason). */
export const edgeMetrics = {
  connections: counter('torii_edge_smtp_connections_total', 'SMTP connections accepted', ['listener']),
  /** direction: in, out, or feedback (SPAM14 reports, stored and relayed nowhere). */
  accepted: counter('torii_edge_messages_accepted_total', 'Messages answered 250 (stored and published)', ['direction']),
  refused: counter('torii_edge_refused_total', 'Commands or messages refused, by reason', ['reason']),
  acceptLatency: histogram(
    'torii_edge_accept_latency_seconds',
    'From end of DATA to the 250 reply (store + publish ack)',
    ['direction'],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ),
};

export type RefusalReason =
  | 'relay-denied'
  | 'unknown-user'
  | 'spool-full'
  | 'suspended'
  | 'other-tenant'
  | 'other-domain'
  | 'no-server'
  | 'too-many-recipients'
  | 'directory-unavailable'
  | 'relay-unregistered-ip'
  | 'relay-ptr-mismatch'
  | 'relay-foreign-sender'
  | 'relay-suspended'
  | 'dns-failure'
  | 'feedback-inbound'
  | 'feedback-sender'
  | 'feedback-not-subscribed'
  | 'feedback-mixed'
  | 'too-big'
  | 'queue-failed'
  | 'timeout'
  | 'bare-lf'
  | 'bare-cr'
  | 'non-ascii-address';

export function countRefusal(reason: RefusalReason): void {
  edgeMetrics.refused.inc({ reason });
}
