import { startNatsServer } from '@torii/testing';

export interface PrivateNats {
  url: string;
  stop(): Promise<void>;
}

/**
 * A nats-server with JetStream of this test file's own: the streams MAIL, VERDICTS… and their fixed
 * subjects would otherwise overlap between test files running in parallel on the shared server.
 */
export async function startPrivateNats(): Promise<PrivateNats> {
  const server = await startNatsServer({ jetstream: true });
  return { url: server.url, stop: () => server.close() };
}
