import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { Codecs, Subjects, type MailReceived } from '@torii/contracts';
import { describeError } from '@torii/errors';
import { JetStreamPublisher } from '@torii/messaging';
import { InvalidObjectKeyError, messagePrefix, parseMessageKey, sidecarKey, type ListedObject } from '@torii/storage';
import { counter } from '@torii/telemetry';
import { randomUUID } from 'node:crypto';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import { DeliveryRepository } from '../persistence/delivery.repository';
import { MessageObjects } from '../persistence/message-objects';

/** The lease row of the job: one replica runs a pass at a time. */
const LEASE = 'reconcile';
const BATCH = 500;
const givenUp = counter('torii_delivery_reconcile_given_up_total', 'Stored messages published again RECONCILE_MAX_REPUBLISH times without becoming a delivery row (see the error log)');
const republishedTotal = counter('torii_delivery_reconcile_republished_total', 'Stored messages whose lost event reconciliation published again');

/**
 * O4 with NATS 2.9 (which flushes JetStream to disk on an interval): the object store is the durable
 * record. A stored message that delivery has no row for after a grace delay lost its event; it is
 * published again from its sidecar, so every consumer (not only delivery) sees it. An orphan whose event
 * never becomes a row (dead-lettered as bad) is published at most RECONCILE_MAX_REPUBLISH times, then
 * reported once as an error and counted. One replica runs a pass at a time, under a lease row renewed as
 * the pass goes (a pass lists days of objects: far too long for a transaction-bound lock).
 */
@Injectable()
export class ReconciliationService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReconciliationService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private passing = false;
  /** This replica's name on the lease row. */
  private readonly holder = randomUUID();

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly objects: MessageObjects,
    private readonly publisher: JetStreamPublisher,
    @Inject(DELIVERY_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.RECONCILE_ENABLED) return;
    this.timer = setInterval(() => {
      if (this.passing) return; // a long pass is not joined by a second one of the same replica
      this.passing = true;
      this.running = this.reconcileOnce()
        .catch((error: unknown) => this.logger.warn(`reconcile: ${describeError(error)}`))
        .finally(() => (this.passing = false));
    }, this.config.RECONCILE_INTERVAL);
    this.timer.unref();
  }

  /** Stops before the database and NATS connections close (they close on application shutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns the ids republished, or null when another replica holds the lease. */
  async reconcileOnce(now = new Date()): Promise<string[] | null> {
    const leaseMs = Math.max(60_000, 2 * this.config.RECONCILE_INTERVAL);
    if (!(await this.repository.takeLease(LEASE, this.holder, leaseMs))) return null;
    const republished: string[] = [];
    try {
      const newest = now.getTime() - this.config.RECONCILE_GRACE;
      const oldest = now.getTime() - this.config.RECONCILE_HORIZON;
      let batch: { key: string; messageId: string }[] = [];
      const flush = async () => {
        // Still ours? (A pass that stalled past its lease stops rather than run beside the next holder.)
        if (!(await this.repository.takeLease(LEASE, this.holder, leaseMs))) throw new Error('reconcile lease lost');
        const ids = batch.map((b) => b.messageId);
        const known = await this.repository.knownMessageIds(ids);
        const counts = await this.repository.orphanCounts(ids.filter((id) => !known.has(id)));
        for (const item of batch) {
          if (known.has(item.messageId)) continue;
          if ((counts.get(item.messageId) ?? 0) >= this.config.RECONCILE_MAX_REPUBLISH) continue; // given up
          if (await this.republish(item.key, item.messageId)) republished.push(item.messageId);
        }
        batch = [];
      };
      for await (const object of this.recentObjects(oldest)) {
        const parts = parseMessageKey(object.key);
        const modified = object.lastModified.getTime();
        if (!parts || modified > newest || modified < oldest) continue;
        batch.push({ key: object.key, messageId: parts.messageId });
        if (batch.length >= BATCH) await flush();
      }
      if (batch.length) await flush();
    } finally {
      await this.repository.releaseLease(LEASE, this.holder).catch(() => undefined);
    }
    if (republished.length) this.logger.warn(`reconcile: republished ${republished.length} orphan message(s): ${republished.join(', ')}`);
    return republished;
  }

  /**
   * The objects of the horizon's days only, tenant by tenant (`mail/<tenant>/<yyyy>/<mm>/<dd>/…`, in key order):
   * each tenant's listing starts at the horizon's first day, and the next tenant is found by listing from just
   * after this tenant's folder. A pass costs the horizon's mail and one request per tenant, not every message
   * ever kept. (A key's day is when the edge stored it; the caller checks the object's time again.)
   */
  private async *recentObjects(oldest: number): AsyncGenerator<ListedObject> {
    const start = new Date(oldest);
    let after = '';
    for (;;) {
      let tenantId: string | undefined;
      for await (const object of this.objects.list('mail/', { startAfter: after })) {
        tenantId = object.key.split('/')[1];
        break;
      }
      if (!tenantId) return;
      try {
        yield* this.objects.list(`mail/${tenantId}/`, { startAfter: messagePrefix(tenantId, start).slice(0, -1) });
      } catch (error) {
        if (!(error instanceof InvalidObjectKeyError)) throw error;
      }
      // '~' sorts after every character of a key, so this is just past the tenant's folder.
      after = `mail/${tenantId}/~`;
    }
  }

  private async republish(key: string, messageId: string): Promise<boolean> {
    let event: MailReceived;
    try {
      event = Codecs.mailReceived.decode(await this.objects.readWhole(sidecarKey(key)));
    } catch (error) {
      // No sidecar: the edge never finished (and never said 250), so nobody is owed this message.
      this.logger.warn(`reconcile: ${key} has no readable sidecar, skipped: ${describeError(error)}`);
      return false;
    }
    const count = await this.repository.countRepublish(messageId, key);
    await this.publisher.publish(Subjects.mailReceived(event.direction), Codecs.mailReceived, event, { msgId: event.messageId });
    republishedTotal.inc();
    if (count >= this.config.RECONCILE_MAX_REPUBLISH) {
      givenUp.inc();
      this.logger.error(
        `reconcile: ${messageId} (${key}) was published ${count} times and never became a delivery row ` +
          '(its event is probably dead-lettered as bad: see the DLQ stream); not publishing it again',
      );
    }
    return true;
  }
}
