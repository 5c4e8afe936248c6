import { NestFactory } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { TEST_NATS_URL, uniqueName } from '@torii/testing';
import { JetStreamPublisher, KvStores, MessagingModule, NATS_CONNECTION, jsonCodec, type KvChange } from '../src';
import { eventually, testBus, type TestBus } from './helpers';

interface Snapshot {
  tenant: string;
}

describe('MessagingModule', () => {
  let bus: TestBus;
  const bucket = uniqueName('kv');

  beforeAll(async () => {
    bus = await testBus();
  });
  afterAll(async () => {
    await (await new Kvm(bus.nc).open(bucket)).destroy().catch(() => undefined);
    await bus.cleanup();
  });

  it('provides a publisher and typed KV on one connection, and closes it on shutdown', async () => {
    const name = uniqueName('mod');
    const app = await NestFactory.createApplicationContext(
      MessagingModule.forRoot({ servers: TEST_NATS_URL, name: 'module-test', streams: [{ name, subjects: [`${name}.>`], storage: 'memory' }] }),
      { logger: false },
    );
    const publisher = app.get(JetStreamPublisher);
    expect(await publisher.publish(`${name}.x`, jsonCodec(), { a: 1 }, { msgId: 'm1' })).toMatchObject({ stream: name, seq: 1 });

    const kv = await app.get(KvStores).open(bucket, jsonCodec<Snapshot>(), { create: true });
    const changes: KvChange<Snapshot>[] = [];
    const watch = await kv.watch((change) => {
      changes.push(change);
    });
    const revision = await kv.put('example.com', { tenant: 't1' });
    expect(await kv.get('example.com')).toEqual({ value: { tenant: 't1' }, revision });
    await kv.delete('example.com');
    expect(await kv.get('example.com')).toBeNull();
    await eventually(() => changes.length === 2);
    expect(changes.map((change) => change.operation)).toEqual(['put', 'delete']);
    watch.stop();
    await watch.done;

    const nc = app.get<NatsConnection>(NATS_CONNECTION);
    await bus.jsm.streams.delete(name);
    await app.close();
    expect(nc.isClosed()).toBe(true);
  });
});
