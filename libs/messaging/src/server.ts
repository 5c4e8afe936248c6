import { Catch, Logger, type ArgumentsHost } from '@nestjs/common';
import { BaseRpcExceptionFilter, Server, type CustomTransportStrategy, type MessageHandler as NestHandler } from '@nestjs/microservices';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { PermanentError, describeError } from '@torii/errors';
import { lastValueFrom, throwError, type Observable } from 'rxjs';
import { connectNats } from './connection';
import { JetStreamContext } from './context';
import { ensureStreams, streamReplicasFromEnv, type ConsumerSpec, type StreamSpec } from './declarations';
import type { RetryPolicy } from './retry';
import { JetStreamConsumerRunner } from './runner';
import { findByPattern } from './subjects';

/** Dead letters (`dlq.<stream>.<consumer>`), kept 30 days as `@torii/contracts`' `Streams.DLQ`. */
export const DEAD_LETTER_STREAM: StreamSpec = { name: 'DLQ', subjects: ['dlq.>'], discard: 'new', maxAgeMs: 30 * 86_400_000 };

export interface JetStreamServerOptions {
  servers: string | string[];
  /** Connection name: the service name. */
  name: string;
  /** Streams ensured at boot (add or update). */
  streams: StreamSpec[];
  /** Copies of each stream created at boot (a boot only ever raises them); default `NATS_STREAM_REPLICAS`, else 1. */
  streamReplicas?: number;
  /** One runner per consumer; each message goes to the `@EventPattern` that matches its subject. */
  consumers: ConsumerSpec[];
  /** Stream capturing `dlq.>`, ensured at boot (default `DLQ`); `false` if it is managed elsewhere. */
  deadLetterStream?: StreamSpec | false;
  retry?: Partial<RetryPolicy>;
  /** How long `close()` waits for running handlers (default 10 s). */
  shutdownTimeoutMs?: number;
  pullExpiresMs?: number;
  /** Use this connection instead of opening one (it is then not drained on close). */
  connection?: NatsConnection;
}

type Status = 'connected' | 'disconnected';

/**
 * A Nest transport over JetStream durable pull consumers; a thin wrapper over {@link JetStreamConsumerRunner}.
 *
 * Routing: a message goes to the handler registered for its exact subject, else to the one registered for
 * its consumer's filter subject, else to the first handler whose pattern matches with NATS wildcards
 * (`*` one token, `>` the rest). A message with no handler is dead-lettered.
 *
 * Nest's default RPC exception filter replaces unknown errors with an opaque object, so a `PermanentError`
 * would look temporary: install {@link JetStreamExceptionFilter} (globally or with `@UseFilters`).
 */
export class JetStreamServer extends Server<Record<string, never>, Status> implements CustomTransportStrategy {
  override readonly propagatesEventHandlerErrors = true;
  protected override readonly logger = new Logger(JetStreamServer.name);
  private connection: NatsConnection | undefined;
  private runners: JetStreamConsumerRunner[] = [];
  private warnedOpaqueError = false;

  constructor(private readonly options: JetStreamServerOptions) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  private async start(): Promise<void> {
    const nc = this.options.connection ?? (await connectNats({ ...this.options, logger: this.logger }));
    this.connection = nc;
    const jsm = await jetstreamManager(nc);
    const dlq = this.options.deadLetterStream ?? DEAD_LETTER_STREAM;
    const replicas = this.options.streamReplicas ?? streamReplicasFromEnv();
    await ensureStreams(jsm, dlq ? [...this.options.streams, dlq] : this.options.streams, { replicas });
    for (const consumer of this.options.consumers) {
      const runner = new JetStreamConsumerRunner({
        connection: nc,
        consumer,
        handler: (data, ctx) => this.dispatch(consumer, data, ctx),
        retry: this.options.retry,
        shutdownTimeoutMs: this.options.shutdownTimeoutMs,
        pullExpiresMs: this.options.pullExpiresMs,
        logger: this.logger,
      });
      this.runners.push(runner);
      await runner.start();
    }
    this._status$.next('connected');
  }

  private handlerFor(consumer: ConsumerSpec, subject: string): NestHandler | undefined {
    return (
      this.messageHandlers.get(subject) ??
      this.messageHandlers.get(consumer.filterSubject) ??
      findByPattern(this.messageHandlers.entries(), subject)
    );
  }

  private async dispatch(consumer: ConsumerSpec, data: unknown, ctx: JetStreamContext): Promise<void> {
    const handler = this.handlerFor(consumer, ctx.subject);
    if (!handler) throw new PermanentError(`no handler for ${ctx.subject} in ${this.options.name}`);
    try {
      const result: unknown = await handler(data, ctx);
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    } catch (error) {
      if (!(error instanceof Error) && !this.warnedOpaqueError) {
        this.warnedOpaqueError = true;
        this.logger.warn(
          `handler for ${ctx.subject} failed with ${JSON.stringify(error)}: install JetStreamExceptionFilter ` +
            'so PermanentError reaches the transport (it is retried as temporary meanwhile)',
        );
      }
      throw error;
    }
  }

  /** Stops pulling, waits for running handlers (bounded), then drains the connection. Never hangs. */
  async close(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.close()));
    this.runners = [];
    const nc = this.connection;
    this.connection = undefined;
    if (nc && !this.options.connection && !nc.isClosed()) {
      const drained = nc.drain().catch((error: unknown) => this.logger.warn(`nats drain: ${describeError(error)}`));
      const timedOut = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
      if ((await Promise.race([drained, timedOut])) === 'timeout') await nc.close();
    }
    this._status$.next('disconnected');
  }

  on(): never {
    throw new Error('JetStreamServer emits no events; use the status observable');
  }

  unwrap<T>(): T {
    if (!this.connection) throw new Error('JetStreamServer is not listening');
    return this.connection as T;
  }
}

/**
 * Lets errors from JetStream handlers reach the transport unchanged (so `PermanentError` dead-letters at
 * once); other RPC contexts get Nest's default behaviour.
 */
@Catch()
export class JetStreamExceptionFilter extends BaseRpcExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): Observable<unknown> {
    if (host.getArgByIndex(1) instanceof JetStreamContext) return throwError(() => exception);
    return super.catch(exception, host);
  }
}
