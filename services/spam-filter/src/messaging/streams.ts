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

/** Declared at boot (idempotent): what we read and what we write. */
export const SPAM_FILTER_STREAMS: StreamSpec[] = [Streams.MAIL, Streams.VERDICTS].map(streamSpec);

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
  ] as ConsumerSpec[];
}
