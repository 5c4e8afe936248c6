import { JetStreamConsumerRunner, JetStreamPublisher, jsonCodec, type ConsumerSpec } from '../src';
import { eventually, settled, sleep, testBus, type TestBus } from './helpers';

const codec = jsonCodec<{ n: number }>('test.Job');

describe('consuming: concurrency and shutdown', () => {
  let bus: TestBus;
  let publisher: JetStreamPublisher;
  const runners: JetStreamConsumerRunner<{ n: number }>[] = [];

  beforeAll(async () => {
    bus = await testBus();
    publisher = new JetStreamPublisher(bus.nc);
  });
  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.close(1_000)));
    await bus.cleanup();
  });

  async function consumerOn(concurrency: number): Promise<{ consumer: ConsumerSpec; subject: string }> {
    const stream = await bus.stream();
    const subject = `${stream.name}.jobs`;
    return {
      subject,
      consumer: { durable: 'worker', stream: stream.name, filterSubject: subject, maxDeliver: 5, ackWaitMs: 1_500, concurrency },
    };
  }

  function runner(consumer: ConsumerSpec, handler: (job: { n: number }) => Promise<void>, shutdownTimeoutMs = 5_000) {
    const created = new JetStreamConsumerRunner({
      connection: bus.nc,
      consumer,
      codec,
      handler,
      retry: { baseMs: 100, maxMs: 200 },
      pullExpiresMs: 1_000,
      shutdownTimeoutMs,
    });
    runners.push(created);
    return created;
  }

  async function publishJobs(subject: string, count: number): Promise<void> {
    for (let n = 0; n < count; n++) await publisher.publish(subject, codec, { n }, { msgId: `job-${n}` });
  }

  it('never runs more than `concurrency` handlers at once', async () => {
    const { consumer, subject } = await consumerOn(3);
    await publishJobs(subject, 12);
    let running = 0;
    let highest = 0;
    const done = new Set<number>();
    await runner(consumer, async (job) => {
      running++;
      highest = Math.max(highest, running);
      await sleep(100);
      running--;
      done.add(job.n);
    }).start();
    await eventually(() => done.size === 12);
    await eventually(() => settled(bus.jsm, consumer.stream, consumer.durable));
    expect(highest).toBe(3);
  });

  it('loses nothing when stopped mid-batch and restarted', async () => {
    const { consumer, subject } = await consumerOn(4);
    await publishJobs(subject, 10);
    const handled = new Map<number, number>();
    const count = (n: number) => handled.set(n, (handled.get(n) ?? 0) + 1);

    // First run: odd jobs finish at once, even ones outlast the shutdown (until released at the end).
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const first = runner(
      consumer,
      async (job) => {
        if (job.n % 2 === 0) {
          await released; // abandoned by close(): must not be acked, so not counted either
          return;
        }
        count(job.n);
      },
      300,
    );
    await first.start();
    await eventually(() => first.inFlight > 0 && handled.size > 0);
    const closing = Date.now();
    await first.close();
    expect(Date.now() - closing).toBeLessThan(2_500);
    expect(handled.size).toBeLessThan(10);

    // Second run: everything still unacked must come back.
    const second = runner(consumer, async (job) => {
      count(job.n);
    });
    await second.start();
    await eventually(() => handled.size === 10);
    await eventually(() => settled(bus.jsm, consumer.stream, consumer.durable));
    expect([...handled.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await second.close();
    release();
  });
});
