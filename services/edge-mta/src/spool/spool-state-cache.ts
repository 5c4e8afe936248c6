import type { NatsConnection } from '@nats-io/transport-node';
import { Codecs, SPOOL_STATE_KEY, type SpoolState } from '@torii/contracts';
import { describeError } from '@torii/errors';
import { KvStore, type KvWatch } from '@torii/messaging';
import type { Logger } from '@torii/telemetry';

/** The spool's published state (SEC4), followed through a KV watch: no lookup per SMTP command. */
export class SpoolStateCache {
  private state: SpoolState | undefined;
  private watch: KvWatch | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bucket: string,
    private readonly logger: Logger,
  ) {}

  get current(): SpoolState | undefined {
    return this.state;
  }

  attach(connection: NatsConnection): void {
    void this.follow(connection);
  }

  private async follow(connection: NatsConnection): Promise<void> {
    if (this.stopped) return;
    this.watch?.stop();
    try {
      const store = await KvStore.open(connection, this.bucket, Codecs.spoolState, { create: true });
      this.watch = await store.watch(
        (change) => {
          this.state = change.operation === 'put' ? change.value : undefined;
        },
        { key: SPOOL_STATE_KEY, onError: (error) => this.logger.warn({ err: describeError(error) }, 'spool state: undecodable entry') },
      );
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'spool state: watch failed, retrying');
      this.retryTimer = setTimeout(() => void this.follow(connection), 2_000);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.watch?.stop();
  }
}
