import { TEST_NATS_URL, uniqueName } from '@torii/testing';
import { DiscardPolicy, JetStreamApiError, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Streams } from '@torii/contracts';
import { ensureStreams, streamSpecOf, type StreamSpec } from '../src';

describe('ensureStreams against a real JetStream', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const created: string[] = [];
  const newName = (): string => {
    const name = uniqueName('streams');
    created.push(name);
    return name;
  };

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const name of created) await jsm.streams.delete(name).catch(() => undefined);
    await nc.drain();
  });

  it('creates a stream, adds declared subjects, and never removes one an older replica does not declare', async () => {
    const name = newName();
    const spec = (subjects: string[]): StreamSpec => ({ name, subjects, storage: 'memory', maxAgeMs: 60_000 });
    await ensureStreams(jsm, [spec([`${name}.mail.>`])]);
    // A newer build declares one more subject.
    await ensureStreams(jsm, [spec([`${name}.mail.>`, `${name}.feedback`])]);
    expect((await jsm.streams.info(name)).config.subjects).toEqual([`${name}.mail.>`, `${name}.feedback`]);
    // An older replica boots during the rolling upgrade: the newer subject stays.
    await ensureStreams(jsm, [spec([`${name}.mail.>`])]);
    expect((await jsm.streams.info(name)).config.subjects).toEqual([`${name}.mail.>`, `${name}.feedback`]);
    // Publishing on the newer subject still works.
    const js = jetstream(nc);
    await expect(js.publish(`${name}.feedback`, 'x')).resolves.toMatchObject({ stream: name });
  });

  // The contracts' MAIL under a name and subjects of this test's own (MAIL itself belongs to the services).
  function mailLike(): StreamSpec {
    const name = newName();
    return { ...streamSpecOf(Streams.MAIL), name, subjects: [`${name}.mail.>`], storage: 'memory' };
  }

  it('creates a contracts stream with discard new, so a full stream refuses a publish', async () => {
    const spec = mailLike();
    const [info] = await ensureStreams(jsm, [spec]);
    expect(info.config.discard).toBe(DiscardPolicy.New);
    expect(info.config.num_replicas).toBe(1);

    // The operator caps it; the publish that does not fit is refused (the edge answers 451), nothing is dropped.
    await jsm.streams.update(spec.name, { ...info.config, max_msgs: 1 });
    const js = jetstream(nc);
    await js.publish(`${spec.name}.mail.a`, 'first');
    await expect(js.publish(`${spec.name}.mail.b`, 'second')).rejects.toBeInstanceOf(JetStreamApiError);
    expect((await jsm.streams.info(spec.name)).state.messages).toBe(1);
  });

  it("keeps the limits an operator set when a service boots, and still adds subjects", async () => {
    const spec = mailLike();
    const [created] = await ensureStreams(jsm, [spec]);
    const limits = { max_bytes: 64 * 1024 * 1024, max_msgs: 100_000, max_age: 14 * 86_400 * 1e9, max_msg_size: 1024 * 1024 };
    await jsm.streams.update(spec.name, { ...created.config, ...limits });

    await ensureStreams(jsm, [spec], { replicas: 1 }); // a service boots
    expect((await jsm.streams.info(spec.name)).config).toMatchObject(limits);

    await ensureStreams(jsm, [{ ...spec, subjects: [...spec.subjects, `${spec.name}.feedback`] }]); // a newer build boots
    const after = (await jsm.streams.info(spec.name)).config;
    expect(after).toMatchObject(limits);
    expect(after.subjects).toEqual([`${spec.name}.mail.>`, `${spec.name}.feedback`]);
  });

  it('turns a stream created before discard was carried through to discard new, limits untouched', async () => {
    const spec = mailLike();
    const { discard: _discard, ...before } = spec;
    await ensureStreams(jsm, [{ ...before, maxBytes: 1024 * 1024 }]);
    expect((await jsm.streams.info(spec.name)).config.discard).toBe(DiscardPolicy.Old);
    await ensureStreams(jsm, [spec]);
    const config = (await jsm.streams.info(spec.name)).config;
    expect(config.discard).toBe(DiscardPolicy.New);
    expect(config.max_bytes).toBe(1024 * 1024);
  });
});
