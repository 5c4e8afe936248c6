import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { JetStreamPublisher, type Codec } from '@torii/messaging';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import { DeliveryRepository } from '../persistence/delivery.repository';

/**
 * Publishes what state changes wrote into the outbox (transactional outbox, not publish-after-commit: a
 * commit whose publish fails — NATS away, process killed — is still published later, and a repeat is
 * dropped by the stream's Nats-Msg-Id window). Several replicas may race on a row; the id dedups that too.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly publisher: JetStreamPublisher,
    @Inject(DELIVERY_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  nudge(): void {
    this.wake?.();
  }

  /** Publishes one batch; returns how many rows went out. */
  async publishBatch(limit = 200): Promise<number> {
    const rows = await this.repository.unpublished(limit);
    const done: bigint[] = [];
    try {
      for (const row of rows) {
        await this.publisher.publish(row.subject, passthrough(row.typeName), new Uint8Array(row.payload), { msgId: row.msgId });
        done.push(row.id);
      }
    } finally {
      if (done.length) await this.repository.markPublished(done);
    }
    return rows.length;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let busy = false;
      try {
        busy = (await this.publishBatch()) > 0;
      } catch (error) {
        this.logger.warn(`outbox: ${describeError(error)}`);
      }
      if (!busy && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.config.OUTBOX_POLL);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }
}

function passthrough(typeName: string): Codec<Uint8Array> {
  return { typeName, encode: (bytes) => bytes, decode: (bytes) => bytes };
}
