import { Global, Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { describeError } from '@torii/errors';
import type { Codec } from './codec';
import { connectNats } from './connection';
import { ensureStreams, type StreamSpec } from './declarations';
import { KvStore } from './kv';
import { JetStreamPublisher } from './publisher';

/** Injection token of the shared `NatsConnection`. */
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

export interface MessagingModuleOptions {
  servers: string | string[];
  /** Connection name: the service name. */
  name: string;
  /** Streams ensured at boot (add or update). */
  streams?: StreamSpec[];
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
            if (options.streams?.length) await ensureStreams(await jetstreamManager(nc), options.streams);
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
      ],
      exports: [NATS_CONNECTION, JetStreamPublisher, KvStores],
    };
  }
}
