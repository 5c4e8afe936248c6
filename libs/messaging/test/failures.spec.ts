import { PermanentError, TemporaryError } from '@torii/errors';
import { metricsRegistry } from '@torii/telemetry';
import {
  DEAD_LETTER_STREAM,
  DeadLetterHeaders,
  JetStreamConsumerRunner,
  JetStreamPublisher,
  deadLetterSubject,
  jsonCodec,
  type ConsumerSpec,
} from '../src';
import { eventually, settled, testBus, type TestBus } from './helpers';

interface Job {
  n: number;
}
const codec = jsonCodec<Job>('test.Job');

describe('failures: redelivery and dead letters', () => {
  let bus: TestBus;
  const runners: JetStreamConsumerRunner<Job>[] = [];

  beforeAll(async () => {
    bus = await testBus();
  });
  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.close(1_000)));
    await bus.cleanup();
  });

  async function setup(handler: (job: Job, deliveries: number) => void) {
    const stream = await bus.stream();
    const consumer: ConsumerSpec = {
      durable: 'worker',
      stream: stream.name,
      filterSubject: `${stream.name}.jobs`,
      maxDeliver: 3,
      ackWaitMs: 2_000,
    };
    const runner = new JetStreamConsumerRunner<Job>({
      connection: bus.nc,
      consumer,
      codec,
      handler: (job, ctx) => handler(job, ctx.deliveryCount),
      retry: { baseMs: 100, maxMs: 400 },
      pullExpiresMs: 1_000,
    });
    runners.push(runner);
    await runner.start();
    const publisher = new JetStreamPublisher(bus.nc);
    return { stream, consumer, runner, publisher, subject: `${stream.name}.jobs` };
  }

  async function deadLetterOf(consumer: ConsumerSpec) {
    const subject = deadLetterSubject(consumer.stream, consumer.durable);
    return bus.jsm.streams.getMessage(DEAD_LETTER_STREAM.name, { last_by_subj: subject }).catch(() => null);
  }

  async function deadLettersCounted(consumer: ConsumerSpec, reason: string): Promise<number | undefined> {
    const metric = metricsRegistry.getSingleMetric('torii_messaging_dead_letters_total');
    if (!metric) return undefined;
    const { values } = await metric.get();
    return values.find(
      ({ labels }) => labels.stream === consumer.stream && labels.consumer === consumer.durable && labels.reason === reason,
    )?.value;
  }

  it('redelivers a message whose handler throws, until it succeeds', async () => {
    const deliveries: number[] = [];
    const { consumer, publisher, subject } = await setup((_job, n) => {
      deliveries.push(n);
      if (n < 3) throw new TemporaryError(`not yet (${n})`);
    });
    await publisher.publish(subject, codec, { n: 1 }, { msgId: 'job-1' });
    await eventually(() => deliveries.length === 3);
    await eventually(() => settled(bus.jsm, consumer.stream, consumer.durable));
    expect(deliveries).toEqual([1, 2, 3]);
    expect(await deadLetterOf(consumer)).toBeNull();
  });

  it('dead-letters a message after maxDeliver failed deliveries', async () => {
    const deliveries: number[] = [];
    const { consumer, publisher, subject } = await setup((_job, n) => {
      deliveries.push(n);
      throw new Error('database down');
    });
    await publisher.publish(subject, codec, { n: 2 }, { msgId: 'job-2', headers: { 'X-Tenant': 't1' } });
    await eventually(async () => (await deadLetterOf(consumer)) !== null);
    await eventually(() => settled(bus.jsm, consumer.stream, consumer.durable));
    expect(deliveries).toEqual([1, 2, 3]);
    const dead = (await deadLetterOf(consumer))!;
    expect(codec.decode(dead.data)).toEqual({ n: 2 });
    expect(dead.header.get(DeadLetterHeaders.Subject)).toBe(subject);
    expect(dead.header.get(DeadLetterHeaders.Deliveries)).toBe('3');
    expect(dead.header.get(DeadLetterHeaders.Reason)).toBe('max-deliveries');
    expect(dead.header.get(DeadLetterHeaders.Error)).toBe('Error: database down');
    expect(dead.header.get(DeadLetterHeaders.OriginalMsgId)).toBe('job-2');
    expect(dead.header.get('X-Tenant')).toBe('t1');
    expect(await deadLettersCounted(consumer, 'max-deliveries')).toBe(1);
    expect(await deadLettersCounted(consumer, 'permanent')).toBe(0);
  });

  it('dead-letters a PermanentError at once, and an undecodable message too', async () => {
    const deliveries: number[] = [];
    const { consumer, publisher, subject } = await setup((_job, n) => {
      deliveries.push(n);
      throw new PermanentError('unknown tenant');
    });
    // The series exist at 0 from the start, so an alert on increase() sees the first dead letter.
    expect(await deadLettersCounted(consumer, 'permanent')).toBe(0);
    await publisher.publish(subject, codec, { n: 3 }, { msgId: 'job-3' });
    await eventually(async () => (await deadLetterOf(consumer)) !== null);
    await eventually(() => settled(bus.jsm, consumer.stream, consumer.durable));
    expect(deliveries).toEqual([1]);
    const dead = (await deadLetterOf(consumer))!;
    expect(dead.header.get(DeadLetterHeaders.Reason)).toBe('permanent');
    expect(dead.header.get(DeadLetterHeaders.Deliveries)).toBe('1');
    expect(dead.header.get(DeadLetterHeaders.Error)).toBe('PermanentError: unknown tenant');

    bus.nc.publish(subject, 'not json');
    await eventually(async () => (await deadLetterOf(consumer))?.header.get(DeadLetterHeaders.Error)?.includes('cannot decode') === true);
    expect(deliveries).toEqual([1]);
    expect(await deadLettersCounted(consumer, 'permanent')).toBe(2);
  });
});
