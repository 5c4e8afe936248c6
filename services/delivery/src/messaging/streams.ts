import { Codecs, Streams, Subjects } from '@torii/contracts';
import { DAY_OF_DELIVERIES, streamSpecOf, type ConsumerSpec, type StreamSpec } from '@torii/messaging';

export const DELIVERY_STREAMS: StreamSpec[] = [Streams.MAIL, Streams.VERDICTS, Streams.DELIVERY].map(streamSpecOf);

const common = { maxDeliver: DAY_OF_DELIVERIES, ackWaitMs: 30_000, concurrency: 8 } as const;

/** NATS 2.9 has one filter subject per consumer: one durable consumer per subject family. */
export const DELIVERY_CONSUMERS: ConsumerSpec[] = [
  { ...common, durable: 'delivery-received', stream: 'MAIL', filterSubject: Subjects.mailReceivedAny, codecs: { [Subjects.mailReceivedAny]: Codecs.mailReceived } },
  { ...common, durable: 'delivery-submit', stream: 'MAIL', filterSubject: Subjects.mailSubmit, codecs: { [Subjects.mailSubmit]: Codecs.mailSubmit } },
  {
    ...common,
    durable: 'delivery-verdicts',
    stream: 'VERDICTS',
    filterSubject: 'verdict.>',
    codecs: {
      [Subjects.verdictSpam]: Codecs.spamVerdict,
      [Subjects.verdictVirus]: Codecs.virusVerdict,
      [Subjects.verdictAudit]: Codecs.auditVerdict,
    },
  },
  // Commands from the spool (SEC): retry deferred recipients now, or give them up.
  { ...common, durable: 'delivery-spool-retry', stream: 'DELIVERY', filterSubject: Subjects.deliveryRetry, codecs: { [Subjects.deliveryRetry]: Codecs.deliveryRetry } },
] as ConsumerSpec[];
