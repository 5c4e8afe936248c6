import { Codecs, Streams, Subjects } from '@torii/contracts';
import { DAY_OF_DELIVERIES, streamSpecOf, type ConsumerSpec, type StreamSpec } from '@torii/messaging';

/** Declared at boot (idempotent): what we read and what we write (DELIVERY: quarantined recipients). */
export const SPAM_FILTER_STREAMS: StreamSpec[] = [Streams.MAIL, Streams.VERDICTS, Streams.DELIVERY, Streams.TENANT].map(streamSpecOf);

export function spamFilterConsumers(concurrency: number): ConsumerSpec[] {
  return [
    {
      durable: 'spam-filter',
      stream: 'MAIL',
      filterSubject: Subjects.mailReceivedIn,
      maxDeliver: DAY_OF_DELIVERIES,
      ackWaitMs: 30_000,
      concurrency,
      codecs: { [Subjects.mailReceivedIn]: Codecs.mailReceived },
    },
    {
      // The quarantine box (SPAM10): recipients delivery did quarantine.
      durable: 'spam-filter-quarantine',
      stream: 'DELIVERY',
      filterSubject: 'delivery.quarantined',
      maxDeliver: DAY_OF_DELIVERIES,
      ackWaitMs: 60_000,
      concurrency: Math.max(1, Math.floor(concurrency / 2)),
      codecs: { 'delivery.quarantined': Codecs.deliveryStatus },
    },
    {
      // virus-scan's verdicts: the infected ones, so the quarantine does not forward them out of the domain.
      durable: 'spam-filter-virus',
      stream: 'VERDICTS',
      filterSubject: Subjects.verdictVirus,
      maxDeliver: DAY_OF_DELIVERIES,
      ackWaitMs: 30_000,
      concurrency: 1,
      codecs: { [Subjects.verdictVirus]: Codecs.virusVerdict },
    },
    {
      // SPAM14 by mail: reports forwarded to the feedback address, stored by the edge.
      durable: 'spam-filter-feedback',
      stream: 'MAIL',
      filterSubject: Subjects.mailFeedback,
      maxDeliver: DAY_OF_DELIVERIES,
      ackWaitMs: 60_000,
      concurrency: 1,
      codecs: { [Subjects.mailFeedback]: Codecs.feedbackMail },
    },
    {
      // Addresses and domains removed from the directory: their settings, lists and boxes go too.
      durable: 'spam-filter-directory',
      stream: 'TENANT',
      filterSubject: Subjects.directoryChanged,
      maxDeliver: DAY_OF_DELIVERIES,
      ackWaitMs: 60_000,
      concurrency: 1,
      codecs: { [Subjects.directoryChanged]: Codecs.directoryChanged },
    },
  ] as ConsumerSpec[];
}
