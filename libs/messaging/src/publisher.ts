import { JetStreamApiError, jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { PermanentError, TemporaryError, describeError } from '@torii/errors';
import type { Codec } from './codec';
import { injectTraceContext } from './trace';

export interface PublishOptions {
  /** Idempotency key (`Nats-Msg-Id`): a second publish with the same id inside the stream's duplicate window is stored once. */
  msgId: string;
  headers?: Record<string, string>;
  /** Fail unless the subject is captured by this stream. */
  expectStream?: string;
  /** Wait this long for the stream's ack (default: the publisher's). */
  timeoutMs?: number;
}

export interface PublishResult {
  stream: string;
  seq: number;
  /** True when the stream already had this msgId: nothing new was stored. */
  duplicate: boolean;
}

/** Header naming the codec's type, so a consumer (or a human reading the DLQ) can tell what the bytes are. */
export const TYPE_HEADER = 'Torii-Type';

const tracer = trace.getTracer('@torii/messaging');

/**
 * Publishes to JetStream and waits for the stream's ack, so "published" means "stored". Carries the active
 * trace context in the headers.
 */
export class JetStreamPublisher {
  private readonly js: JetStreamClient;
  private readonly timeoutMs: number;

  constructor(connection: NatsConnection, options: { timeoutMs?: number } = {}) {
    this.js = jetstream(connection, { timeout: options.timeoutMs ?? 5_000 });
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /**
   * @throws TemporaryError when no stream answered in time (timeout, no responders, connection closed): retry later.
   * @throws PermanentError when the stream refused the message as bad (e.g. wrong `expectStream`, too large).
   */
  async publish<T>(subject: string, codec: Codec<T>, message: T, options: PublishOptions): Promise<PublishResult> {
    return tracer.startActiveSpan(
      `${subject} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'publish',
          'messaging.destination.name': subject,
          'messaging.message.id': options.msgId,
        },
      },
      async (span) => {
        try {
          const headers = natsHeaders();
          for (const [key, value] of Object.entries(options.headers ?? {})) headers.set(key, value);
          headers.set(TYPE_HEADER, codec.typeName);
          injectTraceContext(headers, context.active());
          const ack = await this.send(subject, codec.encode(message), headers, options);
          span.setAttribute('messaging.nats.stream_sequence', ack.seq);
          return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true };
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  private async send(
    subject: string,
    data: Uint8Array,
    headers: ReturnType<typeof natsHeaders>,
    options: PublishOptions,
  ): Promise<{ stream: string; seq: number; duplicate?: boolean }> {
    try {
      return await this.js.publish(subject, data, {
        msgID: options.msgId,
        headers,
        timeout: options.timeoutMs ?? this.timeoutMs,
        ...(options.expectStream ? { expect: { streamName: options.expectStream } } : {}),
      });
    } catch (error) {
      // A 400 is the stream saying no to this message (wrong stream, too large); a retry cannot help.
      if (error instanceof JetStreamApiError && error.status === 400) {
        throw new PermanentError(`stream refused ${subject}: ${error.message}`, { cause: error });
      }
      throw new TemporaryError(`no publish ack for ${subject}`, { cause: error });
    }
  }
}
