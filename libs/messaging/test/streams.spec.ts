import { TEST_NATS_URL, uniqueName } from '@torii/testing';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureStreams, type StreamSpec } from '../src';

describe('ensureStreams against a real JetStream', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const name = uniqueName('streams');
  const spec = (subjects: string[], maxAgeMs = 60_000): StreamSpec => ({ name, subjects, storage: 'memory', maxAgeMs });

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await jsm.streams.delete(name).catch(() => undefined);
    await nc.drain();
  });

  it('creates a stream, adds declared subjects, and never removes one an older replica does not declare', async () => {
    await ensureStreams(jsm, [spec([`${name}.mail.>`])]);
    // A newer build declares one more subject.
    await ensureStreams(jsm, [spec([`${name}.mail.>`, `${name}.feedback`])]);
    expect((await jsm.streams.info(name)).config.subjects).toEqual([`${name}.mail.>`, `${name}.feedback`]);
    // An older replica boots during the rolling upgrade: the newer subject stays, other settings still follow.
    await ensureStreams(jsm, [spec([`${name}.mail.>`], 120_000)]);
    const info = await jsm.streams.info(name);
    expect(info.config.subjects).toEqual([`${name}.mail.>`, `${name}.feedback`]);
    expect(info.config.max_age).toBe(120_000 * 1_000_000);
    // Publishing on the newer subject still works.
    const js = jetstream(nc);
    await expect(js.publish(`${name}.feedback`, 'x')).resolves.toMatchObject({ stream: name });
  });
});
