import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { existsSync } from 'node:fs';
import { startNatsServer } from './index';

describe('startNatsServer', () => {
  it('runs a private JetStream server that keeps its streams across a restart and cleans up on close', async () => {
    const server = await startNatsServer({ jetstream: true });
    try {
      expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
      const nc = await connect({ servers: server.url });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'MAIL', subjects: ['mail.>'] });
      await jetstream(nc).publish('mail.x', 'one');
      await nc.close();

      await server.stop();
      expect(server.isRunning).toBe(false);
      await expect(connect({ servers: server.url, reconnect: false, timeout: 500 })).rejects.toThrow();

      await server.start();
      expect(server.isRunning).toBe(true);
      const again = await connect({ servers: server.url });
      // JetStream recovers its store a moment after the port opens.
      let messages = 0;
      for (let i = 0; i < 50 && messages === 0; i++) {
        messages = await (await jetstreamManager(again)).streams.info('MAIL').then(
          (info) => info.state.messages,
          () => 0,
        );
        if (messages === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(messages).toBe(1);
      await again.close();
    } finally {
      await server.close();
    }
    expect(existsSync(server.storeDir)).toBe(false);
    expect(server.isRunning).toBe(false);
  });

  it('gives each server its own port', async () => {
    const [a, b] = await Promise.all([startNatsServer(), startNatsServer()]);
    try {
      expect(a.port).not.toBe(b.port);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
