import { Codecs, Streams, Subjects, type StreamDefinition } from '@torii/contracts';
import type { ConsumerSpec, StreamSpec } from '@torii/messaging';

const NS_PER_MS = 1_000_000;

function streamSpec(definition: StreamDefinition): StreamSpec {
  return {
    name: definition.name,
    subjects: [...definition.subjects],
    retention: definition.retention,
    storage: definition.storage,
    maxAgeMs: definition.max_age / NS_PER_MS,
    duplicateWindowMs: definition.duplicate_window / NS_PER_MS,
  };
}

/** Declared at boot (idempotent): what we read and what we write (DELIVERY: quarantined recipients). */
export const SPAM_FILTER_STREAMS: StreamSpec[] = [Streams.MAIL, Streams.VERDICTS, Streams.DELIVERY].map(streamSpec);

export function spamFilterConsumers(concurrency: number): ConsumerSpec[] {
  return [
    {
      durable: 'spam-filter',
      stream: 'MAIL',
      filterSubject: Subjects.mailReceivedIn,
      maxDeliver: 10,
      ackWaitMs: 30_000,
      concurrency,
      codecs: { [Subjects.mailReceivedIn]: Codecs.mailReceived },
    },
    {
      // The quarantine box (SPAM10): recipients delivery did quarantine.
      durable: 'spam-filter-quarantine',
      stream: 'DELIVERY',
      filterSubject: 'delivery.quarantined',
      maxDeliver: 10,
      ackWaitMs: 60_000,
      concurrency: Math.max(1, Math.floor(concurrency / 2)),
      codecs: { 'delivery.quarantined': Codecs.deliveryStatus },
    },
  ] as ConsumerSpec[];
}
