import { jetstream } from '@nats-io/jetstream';
import { PermanentError } from '@torii/errors';
import {
  DeadLetterNotFoundError,
  JetStreamConsumerRunner,
  JetStreamPublisher,
  ensureStreams,
  jsonCodec,
  listDeadLetters,
  replayDeadLetter,
  type ConsumerSpec,
  type StreamSpec,
} from '../src';
import { eventually, sleep, testBus, type TestBus } from './helpers';

interface Job {
  n: number;
}
const codec = jsonCodec<Job>('test.Job');

describe('dead letters: list and replay', () => {
  let bus: TestBus;
  const runners: JetStreamConsumerRunner<Job>[] = [];

  beforeAll(async () => {
    bus = await testBus();
  });
  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.close(1_000)));
    await bus.cleanup();
  });

  /** A consumer that refuses every job until `accept` is set, and records what it saw. */
  async function setup(duplicateWindowMs?: number) {
    const stream: StreamSpec = await bus.stream();
    if (duplicateWindowMs !== undefined) await ensureStreams(bus.jsm, [{ ...stream, duplicateWindowMs }]);
    const consumer: ConsumerSpec = { durable: 'worker', stream: stream.name, filterSubject: `${stream.name}.jobs`, maxDeliver: 3, ackWaitMs: 2_000 };
    const state = { accept: false, seen: [] as { n: number; msgId: string | undefined; tenant: string | undefined }[] };
    const runner = new JetStreamConsumerRunner<Job>({
      connection: bus.nc,
      consumer,
      codec,
      handler: (job, ctx) => {
        state.seen.push({ n: job.n, msgId: ctx.msgId, tenant: ctx.headers?.get('X-Tenant') });
        if (!state.accept) throw new PermanentError('unknown tenant');
      },
      pullExpiresMs: 1_000,
    });
    runners.push(runner);
    await runner.start();
    return { stream, consumer, state, subject: `${stream.name}.jobs`, publisher: new JetStreamPublisher(bus.nc) };
  }

  it('lists a stream’s dead letters with why they were parked, and replays one with its original id and headers', async () => {
    const { stream, state, subject, publisher } = await setup(500);
    await publisher.publish(subject, codec, { n: 1 }, { msgId: 'job-1', headers: { 'X-Tenant': 't1' } });
    await publisher.publish(subject, codec, { n: 2 }, { msgId: 'job-2' });
    await eventually(async () => (await listDeadLetters(bus.jsm, { stream: stream.name })).length === 2);

    const parked = await listDeadLetters(bus.jsm, { stream: stream.name, consumer: 'worker' });
    expect(parked.map(({ subject: s, msgId, reason, deliveries, error, consumer }) => ({ s, msgId, reason, deliveries, error, consumer }))).toEqual([
      { s: subject, msgId: 'job-1', reason: 'permanent', deliveries: 1, error: 'PermanentError: unknown tenant', consumer: 'worker' },
      { s: subject, msgId: 'job-2', reason: 'permanent', deliveries: 1, error: 'PermanentError: unknown tenant', consumer: 'worker' },
    ]);
    expect(await listDeadLetters(bus.jsm, { stream: stream.name, limit: 1 })).toHaveLength(1);
    expect(await listDeadLetters(bus.jsm, { stream: stream.name, consumer: 'someone-else' })).toEqual([]);

    // The cause is fixed; the stream's duplicate window (500 ms here) has passed.
    state.accept = true;
    await sleep(600);
    const result = await replayDeadLetter(jetstream(bus.nc), bus.jsm, parked[0].seq);
    expect(result).toMatchObject({ outcome: 'replayed', stream: stream.name });
    await eventually(() => state.seen.length === 3);
    expect(state.seen[2]).toEqual({ n: 1, msgId: 'job-1', tenant: 't1' });

    // Replayed: gone from the dead letters; the other one is still there.
    expect((await listDeadLetters(bus.jsm, { stream: stream.name })).map((d) => d.msgId)).toEqual(['job-2']);
    await expect(replayDeadLetter(jetstream(bus.nc), bus.jsm, parked[0].seq)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
  });

  it('reports a replay inside the duplicate window as a duplicate and keeps the dead letter', async () => {
    const { stream, state, subject, publisher } = await setup(); // server default window: 2 minutes
    await publisher.publish(subject, codec, { n: 3 }, { msgId: 'job-3' });
    await eventually(async () => (await listDeadLetters(bus.jsm, { stream: stream.name })).length === 1);
    const [parked] = await listDeadLetters(bus.jsm, { stream: stream.name });

    state.accept = true;
    const result = await replayDeadLetter(jetstream(bus.nc), bus.jsm, parked.seq);
    expect(result.outcome).toBe('duplicate');
    expect(await listDeadLetters(bus.jsm, { stream: stream.name })).toHaveLength(1);
    await sleep(300);
    expect(state.seen).toHaveLength(1);
  });
});
