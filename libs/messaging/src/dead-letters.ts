import type { JetStreamClient, JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { DeadLetterHeaders } from './runner';
import { DEAD_LETTER_STREAM } from './server';

/** A message parked in the dead-letter stream, as an operator lists it. */
export interface DeadLetter {
  /** Its sequence in the dead-letter stream: what `replayDeadLetter` takes. */
  seq: number;
  /** When it was dead-lettered. */
  time: Date;
  /** Where it was first published, and where a replay publishes it again. */
  subject: string;
  stream: string;
  consumer: string;
  /** Its sequence in the original stream. */
  streamSequence: number;
  deliveries: number;
  reason: string;
  error: string;
  /** The publisher's `Nats-Msg-Id`, reused by a replay so consumers recognise the message. */
  msgId: string | undefined;
  size: number;
}

export interface DeadLetterFilter {
  /** Only dead letters of this stream (`MAIL`) and/or consumer (durable name). */
  stream?: string;
  consumer?: string;
  /** At most this many (oldest first). */
  limit?: number;
  /** The dead-letter stream (default `DLQ`). */
  deadLetterStream?: string;
}

export type ReplayResult =
  /** Published to its original subject again (and removed from the dead letters unless kept). */
  | { outcome: 'replayed'; deadLetter: DeadLetter; stream: string; seq: number }
  /**
   * The original stream still remembers the `Nats-Msg-Id` (within its duplicate window, 2 minutes by default)
   * and dropped the copy: nothing was replayed and the dead letter stays; try again later.
   */
  | { outcome: 'duplicate'; deadLetter: DeadLetter };

/** Raised when the sequence asked for is not (or no longer) a dead letter. */
export class DeadLetterNotFoundError extends Error {
  constructor(stream: string, seq: number) {
    super(`no dead letter with sequence ${seq} in stream ${stream}`);
    this.name = 'DeadLetterNotFoundError';
  }
}

/** The server's "first message on or after `seq` matching a subject" (NATS 2.9+); the client types only list it for direct get. */
function nextBySubject(seq: number, subject: string): MsgRequest {
  return { seq, next_by_subj: subject } as unknown as MsgRequest;
}

function describe(message: StoredMsg): DeadLetter | undefined {
  const header = message.header;
  const subject = header.get(DeadLetterHeaders.Subject);
  if (!subject) return undefined;
  return {
    seq: message.seq,
    time: message.time,
    subject,
    stream: header.get(DeadLetterHeaders.Stream),
    consumer: header.get(DeadLetterHeaders.Consumer),
    streamSequence: Number(header.get(DeadLetterHeaders.StreamSequence)),
    deliveries: Number(header.get(DeadLetterHeaders.Deliveries)),
    reason: header.get(DeadLetterHeaders.Reason),
    error: header.get(DeadLetterHeaders.Error),
    msgId: header.get(DeadLetterHeaders.OriginalMsgId) || undefined,
    size: message.data.length,
  };
}

/** The dead letters still parked, oldest first (one request per message: fine for an operator's look). */
export async function listDeadLetters(jsm: JetStreamManager, filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
  const dlq = filter.deadLetterStream ?? DEAD_LETTER_STREAM.name;
  const subject = `dlq.${filter.stream ?? '*'}.${filter.consumer ?? '*'}`;
  const limit = filter.limit ?? Infinity;
  const found: DeadLetter[] = [];
  let seq = 1;
  while (found.length < limit) {
    const message = await jsm.streams.getMessage(dlq, nextBySubject(seq, subject));
    if (!message) break;
    const deadLetter = describe(message);
    if (deadLetter) found.push(deadLetter);
    seq = message.seq + 1;
  }
  return found;
}

/**
 * Publishes a dead letter again to its original subject, with its original `Nats-Msg-Id` and headers (the
 * dead-letter headers removed), then deletes it from the dead letters unless `keep`. Every consumer of that
 * subject sees the message again, not only the one that gave up: consumers are idempotent by message id.
 */
export async function replayDeadLetter(
  js: JetStreamClient,
  jsm: JetStreamManager,
  seq: number,
  options: { keep?: boolean; deadLetterStream?: string } = {},
): Promise<ReplayResult> {
  const dlq = options.deadLetterStream ?? DEAD_LETTER_STREAM.name;
  const message = await jsm.streams.getMessage(dlq, { seq });
  const deadLetter = message ? describe(message) : undefined;
  if (!message || !deadLetter) throw new DeadLetterNotFoundError(dlq, seq);
  const headers = natsHeaders();
  for (const [key, values] of message.header) {
    if (key.toLowerCase().startsWith('torii-dlq-') || key.toLowerCase().startsWith('nats-')) continue;
    for (const value of values) headers.append(key, value);
  }
  const ack = await js.publish(deadLetter.subject, message.data, {
    headers,
    ...(deadLetter.msgId ? { msgID: deadLetter.msgId } : {}),
  });
  if (ack.duplicate) return { outcome: 'duplicate', deadLetter };
  if (!options.keep) await jsm.streams.deleteMessage(dlq, seq, false);
  return { outcome: 'replayed', deadLetter, stream: ack.stream, seq: ack.seq };
}
