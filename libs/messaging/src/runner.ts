import { jetstream, jetstreamManager, type Consumer, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { PermanentError, describeError } from '@torii/errors';
import { counter } from '@torii/telemetry';
import { jsonCodec, type Codec } from './codec';
import { JetStreamContext } from './context';
import { ensureConsumer, type ConsumerSpec } from './declarations';
import { silentLogger, type MessagingLogger } from './logger';
import { DEFAULT_RETRY, decideOnFailure, retryDelayMs, type DeadLetterReason, type RetryPolicy } from './retry';
import { deadLetterSubject, findByPattern } from './subjects';
import { extractTraceContext } from './trace';

/** Headers a dead letter carries besides the original message's own headers. */
export const DeadLetterHeaders = {
  Subject: 'Torii-Dlq-Subject',
  Stream: 'Torii-Dlq-Stream',
  Consumer: 'Torii-Dlq-Consumer',
  StreamSequence: 'Torii-Dlq-Stream-Seq',
  Deliveries: 'Torii-Dlq-Deliveries',
  Reason: 'Torii-Dlq-Reason',
  Error: 'Torii-Dlq-Error',
  OriginalMsgId: 'Torii-Dlq-Msg-Id',
} as const;

/** A message handler; the message is acked only once the returned promise resolves. */
export type MessageHandler<T = unknown> = (data: T, ctx: JetStreamContext) => unknown;

export interface ConsumerRunnerOptions<T = unknown> {
  connection: NatsConnection;
  consumer: ConsumerSpec;
  handler: MessageHandler<T>;
  /** Decodes every message; otherwise the consumer's `codecs` by subject, else JSON. */
  codec?: Codec<T>;
  retry?: Partial<RetryPolicy>;
  /** How often a running handler tells the server it is still working (default: half the ack wait). */
  heartbeatMs?: number;
  /** How long one pull waits for messages (default 5000 ms, at least 1000). */
  pullExpiresMs?: number;
  /** How long `close()` waits for running handlers before giving their messages back (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Create or update the durable consumer at `start()` (default true). */
  ensure?: boolean;
  logger?: MessagingLogger;
}

const tracer = trace.getTracer('@torii/messaging');

const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = ['permanent', 'max-deliveries'];
const deadLetters = counter(
  'torii_messaging_dead_letters_total',
  'Messages a consumer gave up on and parked in the dead letters (dlq.<stream>.<consumer>), by reason',
  ['stream', 'consumer', 'reason'],
);

/** Sanitised for a header value: one line, bounded. */
function headerValue(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 1024);
}

/**
 * The consume loop of one durable pull consumer, usable with or without Nest: pulls only as many messages
 * as it has free handler slots, acks after the handler succeeds, naks with exponential back-off on a
 * temporary failure, and dead-letters (copy to `dlq.<stream>.<consumer>`, then term) on a permanent failure
 * or after `maxDeliver` deliveries.
 */
export class JetStreamConsumerRunner<T = unknown> {
  private readonly spec: ConsumerSpec;
  private readonly concurrency: number;
  private readonly retry: RetryPolicy;
  private readonly heartbeatMs: number;
  private readonly pullExpiresMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly logger: MessagingLogger;
  private readonly js: JetStreamClient;
  private readonly active = new Set<JsMsg>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly abandoned = new WeakSet<JsMsg>();
  private consumer: Consumer | undefined;
  private batch: ConsumerMessages | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ConsumerRunnerOptions<T>) {
    this.spec = options.consumer;
    this.concurrency = Math.max(1, options.consumer.concurrency ?? 1);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    const ackWait = Math.min(options.consumer.ackWaitMs, options.consumer.backoffMs?.[0] ?? Infinity);
    this.heartbeatMs = options.heartbeatMs ?? Math.max(100, Math.floor(ackWait / 2));
    this.pullExpiresMs = Math.max(1_000, options.pullExpiresMs ?? 5_000);
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
    this.logger = options.logger ?? silentLogger;
    this.js = jetstream(options.connection);
  }

  get name(): string {
    return `${this.spec.stream}/${this.spec.durable}`;
  }

  /** Handlers running right now. */
  get inFlight(): number {
    return this.active.size;
  }

  /** Ensures the consumer exists, then starts pulling in the background. */
  async start(): Promise<void> {
    if (this.options.ensure ?? true) {
      await ensureConsumer(await jetstreamManager(this.options.connection), this.spec);
    }
    this.consumer = await this.js.consumers.get(this.spec.stream, this.spec.durable);
    // Every series exists from the start at 0, so the first dead letter is an increase an alert can see.
    for (const reason of DEAD_LETTER_REASONS) deadLetters.inc({ stream: this.spec.stream, consumer: this.spec.durable, reason }, 0);
    this.loopDone = this.loop(this.consumer).catch((error: unknown) => {
      this.logger.error(`consumer ${this.name}: loop stopped: ${describeError(error)}`);
    });
    this.logger.log(`consumer ${this.name}: pulling ${this.spec.filterSubject} (concurrency ${this.concurrency})`);
  }

  /**
   * Stops pulling and waits for running handlers (at most `timeoutMs`); messages whose handler is still
   * running then are given back (nak) for redelivery. Never hangs; safe to call twice.
   */
  close(timeoutMs = this.shutdownTimeoutMs): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    void this.batch?.close();
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const finished = await Promise.race([Promise.allSettled([...this.tasks]).then(() => true), timedOut]);
    clearTimeout(timer);
    if (!finished) {
      this.logger.warn(`consumer ${this.name}: ${this.active.size} handler(s) still running at shutdown; redelivering`);
      for (const msg of this.active) {
        this.abandoned.add(msg);
        msg.nak();
      }
    }
    await Promise.race([this.loopDone, sleep(1_000)]);
    if (!this.options.connection.isClosed()) {
      await this.options.connection.flush().catch(() => undefined);
    }
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  /** Resolves when a handler slot is free, or when stopping. */
  private slotFree(): Promise<void> {
    if (this.stopping || this.active.size < this.concurrency) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  /** A pause that ends early when the runner stops. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async loop(consumer: Consumer): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      await this.slotFree();
      if (this.stopping) break;
      try {
        const batch = await consumer.fetch({
          max_messages: this.concurrency - this.active.size,
          expires: this.pullExpiresMs,
        });
        this.batch = batch;
        if (this.stopping) {
          await batch.close();
          break;
        }
        for await (const msg of batch) this.dispatch(msg);
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        failures++;
        const wait = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        this.logger.warn(`consumer ${this.name}: pull failed (${describeError(error)}); retrying in ${wait} ms`);
        await this.pause(wait);
      } finally {
        this.batch = undefined;
      }
    }
  }

  private dispatch(msg: JsMsg): void {
    if (this.stopping) {
      // Arrived after close() began: give it straight back.
      msg.nak();
      return;
    }
    this.active.add(msg);
    const task = this.process(msg)
      .catch((error: unknown) => {
        this.logger.error(`consumer ${this.name}: seq ${msg.seq} not settled: ${describeError(error)}`);
      })
      .finally(() => {
        this.active.delete(msg);
        this.tasks.delete(task);
        this.wake();
      });
    this.tasks.add(task);
  }

  private codecFor(subject: string): Codec<T> {
    if (this.options.codec) return this.options.codec;
    const byPattern = findByPattern(Object.entries(this.spec.codecs ?? {}), subject);
    return (byPattern ?? jsonCodec()) as Codec<T>;
  }

  private decode(msg: JsMsg): T {
    const codec = this.codecFor(msg.subject);
    try {
      return codec.decode(msg.data);
    } catch (error) {
      throw new PermanentError(`cannot decode ${msg.subject} as ${codec.typeName}`, { cause: error });
    }
  }

  private async process(msg: JsMsg): Promise<void> {
    const parent = extractTraceContext(msg.headers);
    const ctx = new JetStreamContext(msg, parent);
    const deliveries = msg.info.deliveryCount;
    if (deliveries > this.spec.maxDeliver) {
      // The last allowed delivery was never settled (the process died or shut down mid-handler).
      await this.deadLetter(msg, 'max-deliveries', 'delivered more often than maxDeliver without being settled');
      return;
    }
    const heartbeat = setInterval(() => {
      if (!this.abandoned.has(msg)) msg.working();
    }, this.heartbeatMs);
    let failure: { error: unknown } | undefined;
    try {
      await tracer.startActiveSpan(
        `${msg.subject} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'nats',
            'messaging.operation.type': 'process',
            'messaging.destination.name': msg.subject,
            'messaging.consumer.group.name': this.spec.durable,
            'messaging.message.id': ctx.msgId ?? '',
            'messaging.nats.delivery_count': deliveries,
          },
        },
        parent,
        async (span) => {
          try {
            await this.options.handler(this.decode(msg), ctx);
          } catch (error) {
            span.recordException(error instanceof Error ? error : String(error));
            span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
            throw error;
          } finally {
            span.end();
          }
        },
      );
    } catch (error) {
      failure = { error };
    } finally {
      clearInterval(heartbeat);
    }
    if (this.abandoned.has(msg)) return;
    if (!failure) {
      msg.ack();
      return;
    }
    const decision = decideOnFailure(failure.error, deliveries, this.spec.maxDeliver, this.retry);
    switch (decision.action) {
      case 'retry':
        this.logger.warn(
          `consumer ${this.name}: ${msg.subject} seq ${msg.seq} failed (delivery ${deliveries}/${this.spec.maxDeliver}), ` +
            `retry in ${decision.delayMs} ms: ${describeError(failure.error)}`,
        );
        msg.nak(decision.delayMs);
        return;
      case 'dead-letter':
        await this.deadLetter(msg, decision.reason, decision.error);
        return;
    }
  }

  /** Copies the message to the dead letters, then terminates it; if the copy fails it is retried later. */
  private async deadLetter(msg: JsMsg, reason: DeadLetterReason, error: string): Promise<void> {
    const { stream, consumer, streamSequence, deliveryCount } = msg.info;
    const headers = natsHeaders();
    for (const [key, values] of msg.headers ?? []) {
      if (key.toLowerCase() === 'nats-msg-id' || key.toLowerCase().startsWith('nats-expected')) continue;
      for (const value of values) headers.append(key, value);
    }
    const originalId = msg.headers?.get('Nats-Msg-Id');
    if (originalId) headers.set(DeadLetterHeaders.OriginalMsgId, originalId);
    headers.set(DeadLetterHeaders.Subject, msg.subject);
    headers.set(DeadLetterHeaders.Stream, stream);
    headers.set(DeadLetterHeaders.Consumer, consumer);
    headers.set(DeadLetterHeaders.StreamSequence, String(streamSequence));
    headers.set(DeadLetterHeaders.Deliveries, String(deliveryCount));
    headers.set(DeadLetterHeaders.Reason, reason);
    headers.set(DeadLetterHeaders.Error, headerValue(error));
    const subject = deadLetterSubject(stream, consumer);
    try {
      await this.js.publish(subject, msg.data, { headers, msgID: `${stream}:${consumer}:${streamSequence}` });
    } catch (publishError) {
      const delayMs = retryDelayMs(deliveryCount, this.retry);
      this.logger.error(
        `consumer ${this.name}: cannot dead-letter ${msg.subject} seq ${streamSequence} to ${subject} ` +
          `(${describeError(publishError)}); retry in ${delayMs} ms`,
      );
      msg.nak(delayMs);
      return;
    }
    // No term reason: NATS 2.9 only understands a bare +TERM (the reason is in the dead letter's headers).
    msg.term();
    deadLetters.inc({ stream, consumer, reason });
    this.logger.warn(`consumer ${this.name}: ${msg.subject} seq ${streamSequence} dead-lettered to ${subject} (${reason}): ${error}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
