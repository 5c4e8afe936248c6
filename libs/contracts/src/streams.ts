import { Subjects } from './subjects';

/** JetStream retention: `limits` keeps messages for every consumer until max_age (or size) is reached. */
export type RetentionPolicy = 'limits' | 'workqueue' | 'interest';

/**
 * A stream as plain data, shaped like the NATS stream configuration (snake_case, durations in
 * nanoseconds) so @torii/messaging can pass it to `jsm.streams.add` as is. Tests add a unique name
 * prefix of their own.
 */
export interface StreamDefinition {
  readonly name: string;
  readonly description: string;
  readonly subjects: readonly string[];
  readonly retention: RetentionPolicy;
  readonly storage: 'file' | 'memory';
  /** Oldest message kept, in nanoseconds. */
  readonly max_age: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate, in nanoseconds. */
  readonly duplicate_window: number;
  /**
   * `new`: when a limit is hit, publishing fails (the publisher sees it and, at the edge, answers 451).
   * We never let the server discard old messages silently (O4, SEC4).
   */
  readonly discard: 'old' | 'new';
}

const NS_PER_MS = 1_000_000;
const minutes = (n: number): number => n * 60_000 * NS_PER_MS;
const days = (n: number): number => n * 86_400_000 * NS_PER_MS;

/** Nanoseconds (what NATS stream configuration wants) from milliseconds. */
export function nanos(ms: number): number {
  return ms * NS_PER_MS;
}

// Every stream uses `limits` retention: each has several independent consumers (spam, virus, audit,
// billing and delivery all read MAIL), and a consumer added later can still replay what it missed.
const base = { retention: 'limits', storage: 'file', duplicate_window: minutes(2), discard: 'new' } as const;

export const Streams = {
  /**
   * Claim checks of received and composed messages, and of feedback reports received by mail (SPAM14). Kept
   * 7 days: the longest a message may be deferred (SEC2).
   */
  MAIL: {
    ...base,
    name: 'MAIL',
    description: 'Messages received by the edge, messages composed by services and feedback reports (claim checks)',
    subjects: [Subjects.mailReceivedIn, Subjects.mailReceivedOut, Subjects.mailSubmit, Subjects.mailFeedback],
    max_age: days(7),
  },
  /** Spam, virus and audit verdicts. */
  VERDICTS: {
    ...base,
    name: 'VERDICTS',
    description: 'Verdicts of spam-filter, virus-scan and audit-archive',
    subjects: ['verdict.>'],
    max_age: days(7),
  },
  /** Per-recipient delivery states, and the release/retry commands to delivery. */
  DELIVERY: {
    ...base,
    name: 'DELIVERY',
    description: 'Delivery state changes per recipient, release and retry commands',
    subjects: ['delivery.>'],
    max_age: days(7),
  },
  /** Tenant and directory change notices (the directory itself is in the KV bucket). */
  TENANT: {
    ...base,
    name: 'TENANT',
    description: 'Tenant and directory change notices',
    subjects: [Subjects.tenantChanged, Subjects.directoryChanged],
    max_age: days(30),
  },
  /** Dead letters: `dlq.<stream>.<consumer>`; kept long enough for an operator to look. */
  DLQ: {
    ...base,
    name: 'DLQ',
    description: 'Messages a consumer gave up on, by stream and consumer',
    subjects: [Subjects.dlqAny],
    max_age: days(30),
  },
} as const satisfies Record<string, StreamDefinition>;

export type StreamName = keyof typeof Streams;

export const ALL_STREAMS: readonly StreamDefinition[] = Object.values(Streams);
