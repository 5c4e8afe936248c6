import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { counter } from '@torii/telemetry';
import { PollLoop } from '@torii/worker';
import { CapacityService } from '../capacity/capacity.service';
import { SPOOL_CONFIG, type SpoolConfig } from '../config/spool.config';
import { RecoveryService } from '../recovery/recovery.service';
import { CLOCK, type Clock } from '../schedule/clock';
import { DelayNoticeService } from './delay-notice.service';
import { SpoolBus } from './spool-bus.repository';
import { SpoolRepository } from './spool.repository';

const retries = counter('torii_spool_retries_total', 'Retry commands sent to delivery', ['reason']);
const expired = counter('torii_spool_expired_total', 'Messages given up after the schedule (failure DSN by delivery)');

/**
 * Each replica's loop, driven by the database: expire what is past its give-up time, send the delay notices
 * that are due, and ask delivery to retry due messages (claimed with SKIP LOCKED under a lease, so exactly
 * one replica sends each retry). Every PROBE_INTERVAL one replica probes down servers; every STATE_INTERVAL
 * (and after a change) the SpoolState for the edge is refreshed.
 */
@Injectable()
export class SpoolWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SpoolWorker.name);
  private readonly loop: PollLoop;
  private dirty = true;
  private lastProbe = 0;
  private lastState = 0;

  constructor(
    private readonly repository: SpoolRepository,
    private readonly bus: SpoolBus,
    private readonly notices: DelayNoticeService,
    private readonly recovery: RecoveryService,
    private readonly capacity: CapacityService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SPOOL_CONFIG) private readonly config: SpoolConfig,
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
  }

  /** Something changed (a hand-off, an outcome, a flush): look now, and refresh the edge's state. */
  stateChanged(): void {
    this.dirty = true;
    this.nudge();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /** One round; true when there may be more to do at once. */
  async step(): Promise<boolean> {
    const now = this.clock.now();
    const gone = await this.repository.expireDue(now, 50, async (message) => {
      await this.bus.requestExpiry(message.id, message.recipients.map((r) => r.address), now);
      expired.inc();
      this.logger.log(`message ${message.id} expired after its schedule: delivery bounces it`);
    });
    const noticed = await this.repository.delayNoticesDue(now, 20, async (message) => {
      await this.notices.send(message, now);
    });
    const claimed = await this.repository.claimDue(now, this.config.RETRY_LEASE, this.config.DRAIN_CONCURRENCY, 100, async (messages) => {
      for (const message of messages) {
        const reason = message.nextAttemptAt.getTime() + message.retryIntervalMs > now.getTime() + 1_000 ? 'recovered' : 'due';
        await this.bus.requestRetry(message.id, message.recipients.map((r) => r.address), message.attempts, reason, now);
        retries.inc({ reason });
      }
    });
    if (gone + claimed > 0) this.dirty = true;
    const clock = Date.now();
    if (clock - this.lastProbe >= this.config.PROBE_INTERVAL) {
      this.lastProbe = clock;
      if ((await this.recovery.probeDownServers()) > 0) this.dirty = true;
    }
    if (this.dirty || clock - this.lastState >= this.config.STATE_INTERVAL) {
      this.dirty = false;
      this.lastState = clock;
      await this.capacity.publish();
    }
    return gone === 50 || noticed === 20 || claimed === 100;
  }
}
