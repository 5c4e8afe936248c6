import { Codecs, DeliveryState, Streams, Subjects } from '@torii/contracts';
import { DAY_OF_DELIVERIES, streamSpecOf, type ConsumerSpec, type StreamSpec } from '@torii/messaging';

/** DELIVERY carries the outcomes the spool follows and the retry commands it sends; MAIL takes its DSNs. */
export const SPOOL_STREAMS: StreamSpec[] = [Streams.MAIL, Streams.DELIVERY].map(streamSpecOf);

/**
 * One consumer over `delivery.>` with one handler at a time, so a recipient's deferred → delivered order is
 * kept (separate consumers could see them the other way round).
 */
export const SPOOL_CONSUMERS: ConsumerSpec[] = [
  {
    durable: 'spool-delivery',
    stream: 'DELIVERY',
    filterSubject: Subjects.deliveryAny,
    maxDeliver: DAY_OF_DELIVERIES,
    ackWaitMs: 30_000,
    concurrency: 1,
    codecs: {
      [Subjects.delivery(DeliveryState.DEFERRED)]: Codecs.deliveryStatus,
      [Subjects.delivery(DeliveryState.DELIVERED)]: Codecs.deliveryStatus,
      [Subjects.delivery(DeliveryState.BOUNCED)]: Codecs.deliveryStatus,
    },
  },
] as ConsumerSpec[];
