import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { PollLoop } from '@torii/worker';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import { DsnService } from '../dsn/dsn.service';
import { OutboxRelay } from '../messaging/outbox.relay';
import { DeliveryRepository } from '../persistence/delivery.repository';
import { JoinService } from '../verdicts/join.service';
import { ClaimLease } from './claim-lease';
import { DeliveryExecutor } from './delivery.executor';

/**
 * The one loop that moves recipients along, driven by the database (the source of truth), so a restart
 * picks up exactly where the rows say: joins that are due, recipients due for an attempt (including a
 * crashed worker's, once their lease expired), DSNs owed. Event handlers only nudge it.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  /** Messages this process is delivering, by id: never claimed again while their task runs. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly loop: PollLoop;

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly join: JoinService,
    private readonly executor: DeliveryExecutor,
    private readonly dsn: DsnService,
    private readonly outbox: OutboxRelay,
    @Inject(DELIVERY_CONFIG) private readonly config: DeliveryConfig,
  ) {
    this.loop = new PollLoop({
      step: () => this.step(),
      idleMs: config.WORKER_POLL,
      onError: (error) => this.logger.warn(`worker: ${describeError(error)}`),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /** Stops before the database and NATS connections close (they close on application shutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Something changed (a message, a verdict): look now instead of at the next poll. */
  nudge(): void {
    this.loop.nudge();
  }

  private async step(): Promise<boolean> {
    const evaluated = await this.repository.evaluateDue(100, (message, verdicts) => this.join.decide(message, verdicts));
    if (evaluated > 0) this.outbox.nudge();
    let claimedAny = false;
    const free = this.config.DELIVERY_CONCURRENCY - this.inFlight.size;
    if (free > 0) {
      const claimedAt = Date.now();
      const claimed = await this.repository.claimDue(free, this.config.DELIVERY_LEASE, [...this.inFlight.keys()]);
      claimedAny = claimed.length > 0;
      for (const message of claimed) {
        const lease = this.keepLease(message, claimedAt);
        const stopRenewing = lease.start();
        const task: Promise<void> = this.executor
          .deliver(message, lease)
          .catch((error: unknown) => this.logger.error(`deliver ${message.id}: ${describeError(error)}`))
          .finally(() => {
            stopRenewing();
            this.inFlight.delete(message.id);
            this.outbox.nudge();
            this.nudge();
          });
        this.inFlight.set(message.id, task);
      }
    }
    const dsns = await this.dsn.sendPending();
    if (dsns > 0) this.outbox.nudge();
    return evaluated > 0 || (claimedAny && this.inFlight.size < this.config.DELIVERY_CONCURRENCY);
  }

  /**
   * Renews the claim's lease every third of it while the message is being delivered: a delivery may take
   * longer than one lease (several destinations in turn, each up to SMTP_SOCKET_TIMEOUT per reply), and an
   * expired lease would let another worker send the same recipients again. A crash stops the renewals, so
   * the lease still hands a dead worker's recipients to someone else. A renewal that finds the claim gone,
   * or renewals failing for a whole lease (this pod cut off from the database), make the claim lost: the
   * executor then sends no further hop or group (review low a: it went on while another replica re-claimed).
   */
  private keepLease(message: { id: string; recipients: { claimToken: string | null }[] }, claimedAt: number): ClaimLease {
    const token = message.recipients[0]?.claimToken;
    const lease = this.config.DELIVERY_LEASE;
    // A claim without a token (none on the rows) cannot be renewed: it lasts its first lease.
    const renew = token ? () => this.repository.renewLease(message.id, token, lease) : undefined;
    return new ClaimLease(renew, lease, claimedAt, (error) => this.logger.warn(`renew lease of ${message.id}: ${describeError(error)}`));
  }
}
