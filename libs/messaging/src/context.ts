import type { JsMsg } from '@nats-io/jetstream';
import { Match, type MsgHdrs } from '@nats-io/transport-node';
import type { Context, SpanContext } from '@opentelemetry/api';
import { spanContextOf } from './trace';

/**
 * What a handler may know about the message it handles (Nest: the `@Ctx()` argument, typed `unknown` in
 * the handler's signature and narrowed with `instanceof JetStreamContext`).
 */
export class JetStreamContext {
  readonly subject: string;
  readonly stream: string;
  readonly consumer: string;
  readonly streamSequence: number;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  readonly headers: MsgHdrs | undefined;
  /** The publisher's `Nats-Msg-Id`, if any. */
  readonly msgId: string | undefined;
  /** The trace context extracted from the headers (ROOT when none); the handler already runs inside it. */
  readonly traceContext: Context;

  constructor(
    private readonly msg: JsMsg,
    traceContext: Context,
  ) {
    this.subject = msg.subject;
    this.stream = msg.info.stream;
    this.consumer = msg.info.consumer;
    this.streamSequence = msg.info.streamSequence;
    this.deliveryCount = msg.info.deliveryCount;
    this.headers = msg.headers;
    this.msgId = this.header('Nats-Msg-Id');
    this.traceContext = traceContext;
  }

  /** A header value, case-insensitive. */
  header(name: string): string | undefined {
    return this.headers?.has(name, Match.IgnoreCase) ? this.headers.get(name, Match.IgnoreCase) : undefined;
  }

  /** The remote span the publisher was in, if the message carried one. */
  get spanContext(): SpanContext | undefined {
    return spanContextOf(this.traceContext);
  }

  /** Tells the server the handler is still working (the runner also does this on a timer). */
  working(): void {
    this.msg.working();
  }

  /** Nest's RPC contexts expose their arguments this way. */
  getArgs(): [string] {
    return [this.subject];
  }
}
