import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Codecs, Subjects, type MailReceived } from '@torii/contracts';
import { describeError } from '@torii/errors';
import { JetStreamPublisher } from '@torii/messaging';
import { parseMessageKey, sidecarKey } from '@torii/storage';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import { DeliveryRepository } from '../persistence/delivery.repository';
import { MessageObjects } from '../persistence/message-objects';

/** Advisory lock key of the reconciliation job ("torii-delivery-reconcile"): one replica at a time. */
const RECONCILE_LOCK = 0x746f7269;
const BATCH = 500;

/**
 * O4 with NATS 2.9 (which flushes JetStream to disk on an interval): the object store is the durable
 * record. A stored message that delivery has no row for after a grace delay lost its event; it is
 * published again from its sidecar, so every consumer (not only delivery) sees it.
 */
@Injectable()
export class ReconciliationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconciliationService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly objects: MessageObjects,
    private readonly publisher: JetStreamPublisher,
    @Inject(DELIVERY_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.RECONCILE_ENABLED) return;
    this.timer = setInterval(() => {
      this.running = this.reconcileOnce().catch((error: unknown) => this.logger.warn(`reconcile: ${describeError(error)}`));
    }, this.config.RECONCILE_INTERVAL);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns the ids republished, or null when another replica holds the lock. */
  async reconcileOnce(now = new Date()): Promise<string[] | null> {
    const republished: string[] = [];
    const ran = await this.repository.withAdvisoryLock(RECONCILE_LOCK, Math.max(60_000, this.config.RECONCILE_INTERVAL), async () => {
      const newest = now.getTime() - this.config.RECONCILE_GRACE;
      const oldest = now.getTime() - this.config.RECONCILE_HORIZON;
      let batch: { key: string; messageId: string }[] = [];
      const flush = async () => {
        const known = await this.repository.knownMessageIds(batch.map((b) => b.messageId));
        for (const item of batch) {
          if (known.has(item.messageId)) continue;
          if (await this.republish(item.key)) republished.push(item.messageId);
        }
        batch = [];
      };
      for await (const object of this.objects.list('mail/')) {
        const parts = parseMessageKey(object.key);
        const modified = object.lastModified.getTime();
        if (!parts || modified > newest || modified < oldest) continue;
        batch.push({ key: object.key, messageId: parts.messageId });
        if (batch.length >= BATCH) await flush();
      }
      if (batch.length) await flush();
    });
    if (republished.length) this.logger.warn(`reconcile: republished ${republished.length} orphan message(s): ${republished.join(', ')}`);
    return ran ? republished : null;
  }

  private async republish(key: string): Promise<boolean> {
    let event: MailReceived;
    try {
      event = Codecs.mailReceived.decode(await this.objects.readWhole(sidecarKey(key)));
    } catch (error) {
      // No sidecar: the edge never finished (and never said 250), so nobody is owed this message.
      this.logger.warn(`reconcile: ${key} has no readable sidecar, skipped: ${describeError(error)}`);
      return false;
    }
    await this.publisher.publish(Subjects.mailReceived(event.direction), Codecs.mailReceived, event, { msgId: event.messageId });
    return true;
  }
}
