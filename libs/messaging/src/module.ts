import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type INestApplication,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { describeError } from '@torii/errors';
import type { Codec } from './codec';
import { connectNats } from './connection';
import { ensureStreams, streamReplicasFromEnv, type StreamSpec } from './declarations';
import { KvStore } from './kv';
import { JetStreamPublisher } from './publisher';
import { JetStreamServer, type JetStreamServerOptions } from './server';

/** Injection token of the shared `NatsConnection`. */
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

export interface MessagingModuleOptions {
  servers: string | string[];
  /** Connection name: the service name. */
  name: string;
  /** Streams ensured at boot (add or update). */
  streams?: StreamSpec[];
  /** Copies of each stream created at boot (a boot only ever raises them); default `NATS_STREAM_REPLICAS`, else 1. */
  streamReplicas?: number;
  /** Publish ack timeout (default 5 s). */
  publishTimeoutMs?: number;
}

/** Opens (and caches) typed KV buckets on the shared connection. */
@Injectable()
export class KvStores {
  private readonly opened = new Map<string, Promise<KvStore<unknown>>>();

  constructor(@Inject(NATS_CONNECTION) private readonly connection: NatsConnection) {}

  open<T>(bucket: string, codec: Codec<T>, options: { create?: boolean } = {}): Promise<KvStore<T>> {
    let store = this.opened.get(bucket);
    if (!store) {
      store = KvStore.open(this.connection, bucket, codec as Codec<unknown>, options);
      store.catch(() => this.opened.delete(bucket));
      this.opened.set(bucket, store);
    }
    return store as Promise<KvStore<T>>;
  }
}

@Injectable()
class ConnectionCloser implements OnApplicationShutdown {
  private readonly logger = new Logger('Messaging');
  constructor(@Inject(NATS_CONNECTION) private readonly connection: NatsConnection) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.connection.isClosed()) return;
    const drained = this.connection.drain().catch((error: unknown) => this.logger.warn(`nats drain: ${describeError(error)}`));
    const timedOut = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
    if ((await Promise.race([drained, timedOut])) === 'timeout') await this.connection.close();
  }
}

/**
 * Closes the app's JetStream consumers in `beforeApplicationShutdown`. Nest would close a connected
 * microservice only after every lifecycle hook has run, that is after the database clients its handlers
 * use were disconnected; handlers then fail half-way, and Prisma's disconnect can even hang on them.
 * Stopping intake first (consumers here, poll loops in their own `beforeApplicationShutdown`) and closing
 * connections last (`onApplicationShutdown`) makes a graceful shutdown finish the work in hand.
 */
@Injectable()
export class ConsumerShutdown implements BeforeApplicationShutdown {
  private readonly servers = new Set<JetStreamServer>();

  register(server: JetStreamServer): void {
    this.servers.add(server);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.servers].map((server) => server.close()));
  }
}

/**
 * Connects the service's JetStream consumers to a Nest app that imports `MessagingModule`, so they stop
 * first on shutdown (see `ConsumerShutdown`). Call `app.startAllMicroservices()` afterwards.
 */
export function connectJetStream(app: INestApplication, options: JetStreamServerOptions): JetStreamServer {
  const server = new JetStreamServer(options);
  app.connectMicroservice({ strategy: server });
  app.get(ConsumerShutdown).register(server);
  return server;
}

/**
 * The shared NATS connection, a `JetStreamPublisher` and `KvStores` for the whole app; streams are ensured
 * at boot and the connection is drained on shutdown (call `app.enableShutdownHooks()`, or `app.close()`).
 */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: NATS_CONNECTION,
          useFactory: async (): Promise<NatsConnection> => {
            const nc = await connectNats({ servers: options.servers, name: options.name, logger: new Logger('Nats') });
            if (options.streams?.length) {
              const replicas = options.streamReplicas ?? streamReplicasFromEnv();
              await ensureStreams(await jetstreamManager(nc), options.streams, { replicas });
            }
            return nc;
          },
        },
        {
          provide: JetStreamPublisher,
          useFactory: (nc: NatsConnection) => new JetStreamPublisher(nc, { timeoutMs: options.publishTimeoutMs }),
          inject: [NATS_CONNECTION],
        },
        KvStores,
        ConnectionCloser,
        ConsumerShutdown,
      ],
      exports: [NATS_CONNECTION, JetStreamPublisher, KvStores, ConsumerShutdown],
    };
  }
}
