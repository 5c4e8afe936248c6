import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { PermanentError } from '@torii/errors';
import {
  DEAD_LETTER_STREAM,
  DeadLetterHeaders,
  JetStreamContext,
  JetStreamExceptionFilter,
  JetStreamPublisher,
  JetStreamServer,
  deadLetterSubject,
  jsonCodec,
} from '../src';
import { TEST_NATS_URL } from '@torii/testing';
import { eventually, settled, testBus, type TestBus } from './helpers';

interface Greeting {
  text: string;
}
const received: { text: string; subject: string; deliveries: number }[] = [];

describe('JetStreamServer in a Nest microservice', () => {
  let bus: TestBus;

  beforeAll(async () => {
    bus = await testBus();
  });
  afterAll(() => bus.cleanup());

  it('delivers @EventPattern messages, acks them, dead-letters PermanentError, and shuts down quickly', async () => {
    const stream = await bus.stream();
    const subject = `${stream.name}.greeting.in`;

    @Controller()
    class GreetingConsumer {
      @EventPattern<Record<string, Greeting>>(subject)
      greet(@Payload() greeting: Greeting, @Ctx() ctx: unknown): void {
        const jsCtx = ctx as JetStreamContext;
        received.push({ text: greeting.text, subject: jsCtx.subject, deliveries: jsCtx.deliveryCount });
        if (greeting.text === 'reject') throw new PermanentError('greeting refused');
      }
    }
    @Module({ controllers: [GreetingConsumer] })
    class AppModule {}

    const server = new JetStreamServer({
      servers: TEST_NATS_URL,
      name: 'nest-test',
      streams: [stream],
      consumers: [
        { durable: 'greeter', stream: stream.name, filterSubject: `${stream.name}.greeting.>`, maxDeliver: 3, ackWaitMs: 2_000 },
      ],
      retry: { baseMs: 100, maxMs: 200 },
      pullExpiresMs: 1_000,
      shutdownTimeoutMs: 2_000,
    });
    const app = await NestFactory.createMicroservice(AppModule, { strategy: server, logger: false });
    app.useGlobalFilters(new JetStreamExceptionFilter());
    await app.listen();

    const publisher = new JetStreamPublisher(bus.nc);
    await publisher.publish(subject, jsonCodec<Greeting>(), { text: 'hello' }, { msgId: 'g-1' });
    await publisher.publish(subject, jsonCodec<Greeting>(), { text: 'reject' }, { msgId: 'g-2' });

    await eventually(() => received.length === 2);
    await eventually(() => settled(bus.jsm, stream.name, 'greeter'));
    expect(received).toEqual([
      { text: 'hello', subject, deliveries: 1 },
      { text: 'reject', subject, deliveries: 1 },
    ]);
    const dead = await bus.jsm.streams.getMessage(DEAD_LETTER_STREAM.name, {
      last_by_subj: deadLetterSubject(stream.name, 'greeter'),
    });
    expect(dead?.header.get(DeadLetterHeaders.Reason)).toBe('permanent');

    const closing = Date.now();
    await app.close();
    expect(Date.now() - closing).toBeLessThan(5_000);
  });
});
