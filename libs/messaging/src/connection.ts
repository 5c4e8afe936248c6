import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describeError } from '@torii/errors';
import { silentLogger, type MessagingLogger } from './logger';

export interface NatsConnectionOptions {
  /** One URL, a comma-separated list, or a list. */
  servers: string | string[];
  /** Shown by the server in connection listings: use the service name. */
  name: string;
  logger?: MessagingLogger;
}

/**
 * Connects once (failing fast at boot if no server answers), then reconnects forever with jitter, logging
 * every status change.
 */
export async function connectNats(options: NatsConnectionOptions): Promise<NatsConnection> {
  const servers = Array.isArray(options.servers)
    ? options.servers
    : options.servers.split(',').map((server) => server.trim());
  const logger = options.logger ?? silentLogger;
  const nc = await connect({
    servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 2_000,
    reconnectJitter: 1_000,
  });
  logger.log(`nats: connected to ${nc.getServer()} as ${options.name}`);
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
        case 'error':
        case 'staleConnection':
        case 'slowConsumer':
          logger.warn(`nats: ${status.type} ${JSON.stringify(status)}`);
          break;
        case 'ping':
          break;
        default:
          logger.log(`nats: ${status.type}`);
      }
    }
  })().catch((error: unknown) => logger.error(`nats: status monitor failed: ${describeError(error)}`));
  return nc;
}

/** A readiness check of a NATS connection: open, and the server answers a round trip. */
export function natsReadiness(nc: NatsConnection): () => Promise<void> {
  return async () => {
    if (nc.isClosed()) throw new Error('NATS connection closed');
    await nc.flush();
  };
}
