import { AsyncLocalStorage } from 'node:async_hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ROOT_CONTEXT,
  TraceFlags,
  context,
  propagation,
  trace,
  type Context,
  type ContextManager,
} from '@opentelemetry/api';
import { JetStreamConsumerRunner, JetStreamContext, JetStreamPublisher, jsonCodec } from '../src';
import { eventually, testBus, type TestBus } from './helpers';

/** The smallest context manager that follows async calls (what the Node SDK registers). */
class AlsContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

describe('trace context', () => {
  let bus: TestBus;
  let runner: JetStreamConsumerRunner | undefined;

  beforeAll(async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    context.setGlobalContextManager(new AlsContextManager());
    bus = await testBus();
  });
  afterAll(async () => {
    await runner?.close(1_000);
    await bus.cleanup();
    propagation.disable();
    context.disable();
  });

  it('travels from the publisher to the handler', async () => {
    const stream = await bus.stream();
    const subject = `${stream.name}.traced`;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true });

    const seen: { active?: string; fromCtx?: string; header?: string } = {};
    runner = new JetStreamConsumerRunner({
      connection: bus.nc,
      consumer: { durable: 'tracer', stream: stream.name, filterSubject: subject, maxDeliver: 2, ackWaitMs: 2_000 },
      handler: (_data, ctx: JetStreamContext) => {
        seen.active = trace.getSpanContext(context.active())?.traceId;
        seen.fromCtx = ctx.spanContext?.traceId;
        seen.header = ctx.header('traceparent');
      },
      pullExpiresMs: 1_000,
    });
    await runner.start();

    const publisher = new JetStreamPublisher(bus.nc);
    await context.with(parent, () => publisher.publish(subject, jsonCodec(), { hello: 'world' }, { msgId: 'traced-1' }));

    await eventually(() => seen.active !== undefined);
    expect(seen.active).toBe(traceId);
    expect(seen.fromCtx).toBe(traceId);
    expect(seen.header).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });
});
