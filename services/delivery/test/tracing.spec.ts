import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { eventually, rawMessage, startHarness, type Harness } from './support/harness';

/**
 * O2: one message is one trace. The delivery attempt runs from the worker loop, long after the event that
 * brought the message was acknowledged: it must still join the trace the edge started with its publish.
 */
describe('tracing', () => {
  let h: Harness;
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(async () => {
    provider.register(); // W3C propagator and the async context manager, as startTelemetry's SDK does
    h = await startHarness();
    await h.putDomain('tenant.test');
    await h.startApp();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await provider.shutdown();
  });

  it('the delivery attempt continues the trace of the publish that brought the message', async () => {
    const event = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['bob@tenant.test'], raw: rawMessage('traced-1@sender.test') });
    const traceId = await trace.getTracer('test').startActiveSpan('edge: queue', async (span) => {
      await h.publishReceived(event); // JetStreamPublisher puts the traceparent on the NATS message
      span.end();
      return span.spanContext().traceId;
    });
    await h.tenantSink.waitFor((m) => m.messageId === 'traced-1@sender.test', 15_000);
    const stored = await h.app!.get(DeliveryRepository).findMessage(event.messageId);
    expect(stored?.traceParent).toContain(traceId);
    const attempt = await eventually(() => exporter.getFinishedSpans().find((s) => s.name === 'delivery attempt' && s.attributes['torii.message.id'] === event.messageId), 10_000, 'delivery span');
    expect(attempt.spanContext().traceId).toBe(traceId);
  });
});
