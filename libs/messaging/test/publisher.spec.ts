import { PermanentError, TemporaryError } from '@torii/errors';
import { uniqueName } from '@torii/testing';
import { JetStreamPublisher, jsonCodec } from '../src';
import { testBus, type TestBus } from './helpers';

const codec = jsonCodec<{ id: string }>('test.Event');

describe('JetStreamPublisher', () => {
  let bus: TestBus;
  let publisher: JetStreamPublisher;

  beforeAll(async () => {
    bus = await testBus();
    publisher = new JetStreamPublisher(bus.nc, { timeoutMs: 2_000 });
  });
  afterAll(() => bus.cleanup());

  it('stores a message id once: the second publish is reported as a duplicate', async () => {
    const stream = await bus.stream();
    const subject = `${stream.name}.events`;
    const first = await publisher.publish(subject, codec, { id: 'a' }, { msgId: 'same-id', expectStream: stream.name });
    const second = await publisher.publish(subject, codec, { id: 'a' }, { msgId: 'same-id' });
    expect(first).toEqual({ stream: stream.name, seq: 1, duplicate: false });
    expect(second).toEqual({ stream: stream.name, seq: 1, duplicate: true });
    const info = await bus.jsm.streams.info(stream.name);
    expect(info.state.messages).toBe(1);
    const stored = await bus.jsm.streams.getMessage(stream.name, { seq: 1 });
    expect(stored?.header.get('Nats-Msg-Id')).toBe('same-id');
    expect(stored?.header.get('Torii-Type')).toBe('test.Event');
    expect(codec.decode(stored!.data)).toEqual({ id: 'a' });
  });

  it('throws TemporaryError when no stream takes the subject', async () => {
    const error: unknown = await publisher
      .publish(`${uniqueName('nostream')}.x`, codec, { id: 'b' }, { msgId: 'b' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemporaryError);
  });

  it('throws PermanentError when the subject belongs to another stream than expected', async () => {
    const stream = await bus.stream();
    const error: unknown = await publisher
      .publish(`${stream.name}.events`, codec, { id: 'c' }, { msgId: 'c', expectStream: 'SOMETHING_ELSE' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
  });
});
