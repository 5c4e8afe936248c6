import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { TEST_NATS_URL, uniqueName } from '@torii/testing';
import { DEAD_LETTER_STREAM, ensureStreams, type StreamSpec } from '../src';

/** One test file's bus: its own connection and randomly named streams, removed by `cleanup()`. */
export interface TestBus {
  nc: NatsConnection;
  jsm: JetStreamManager;
  /** A new stream capturing `<name>.>`; deleted (and its dead letters purged) at cleanup. */
  stream(): Promise<StreamSpec>;
  cleanup(): Promise<void>;
}

export async function testBus(): Promise<TestBus> {
  const nc = await connect({ servers: TEST_NATS_URL, name: 'messaging-test' });
  const jsm = await jetstreamManager(nc);
  // The dead-letter stream is shared (subjects of two streams may not overlap): tests only purge their part.
  await ensureStreams(jsm, [DEAD_LETTER_STREAM]);
  const created: string[] = [];
  return {
    nc,
    jsm,
    async stream() {
      const name = uniqueName('msg');
      const spec: StreamSpec = { name, subjects: [`${name}.>`], storage: 'memory' };
      await ensureStreams(jsm, [spec]);
      created.push(name);
      return spec;
    },
    async cleanup() {
      for (const name of created) {
        await jsm.streams.delete(name).catch(() => undefined);
        await jsm.streams.purge(DEAD_LETTER_STREAM.name, { filter: `dlq.${name}.>` }).catch(() => undefined);
      }
      await nc.drain();
    },
  };
}

/** Polls until `check` returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error('condition not reached in time');
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True once the consumer has nothing pending and nothing awaiting an ack. */
export async function settled(jsm: JetStreamManager, stream: string, durable: string): Promise<boolean> {
  const info = await jsm.consumers.info(stream, durable);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}
