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
/** Final outcomes kept against stale deferrals: longer than the bus retries a failing event (about a day). */
const RESOLVED_KEEP_MS = 2 * 86_400_000;
const failures = counter('torii_spool_worker_failures_total', 'Worker steps that failed (logged), by part: expire, notice, retry, probe, state', ['phase']);

type Phase = 'expire' | 'notice' | 'retry' | 'probe' | 'state';

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

  /**
   * One round; true when there may be more to do at once. Each part fails on its own (logged and counted):
   * a failing expiry, notice, probe or database call never keeps the others, above all the retries and the
   * edge's state, from running.
   */
  async step(): Promise<boolean> {
    const now = this.clock.now();
    const gone = await this.phase('expire', 0, () =>
      this.repository.expireDue(now, 50, async (message) => {
        await this.bus.requestExpiry(message.id, message.recipients.map((r) => r.address), now);
        expired.inc();
        this.logger.log(`message ${message.id} expired after its schedule: delivery bounces it`);
      }),
    );
    await this.phase('expire', 0, () => this.repository.pruneResolved(new Date(now.getTime() - RESOLVED_KEEP_MS)));
    const noticed = await this.phase('notice', 0, () =>
      this.repository.delayNoticesDue(
        now,
        20,
        async (message) => {
          await this.notices.send(message, now);
        },
        (messageId, error) => {
          failures.inc({ phase: 'notice' });
          this.logger.warn(`delay notice for ${messageId} failed (tried again later): ${describeError(error)}`);
        },
      ),
    );
    const claimed = await this.phase('retry', 0, () =>
      this.repository.claimDue(now, this.config.RETRY_LEASE, this.config.DRAIN_CONCURRENCY, 100, async (messages) => {
        for (const message of messages) {
          const reason = message.nextAttemptAt.getTime() + message.retryIntervalMs > now.getTime() + 1_000 ? 'recovered' : 'due';
          await this.bus.requestRetry(message.id, message.recipients.map((r) => r.address), message.attempts, reason, now);
          retries.inc({ reason });
        }
      }),
    );
    if (gone + claimed > 0) this.dirty = true;
    const clock = Date.now();
    if (clock - this.lastProbe >= this.config.PROBE_INTERVAL) {
      this.lastProbe = clock;
      if ((await this.phase('probe', 0, () => this.recovery.probeDownServers())) > 0) this.dirty = true;
    }
    if (this.dirty || clock - this.lastState >= this.config.STATE_INTERVAL) {
      this.dirty = false;
      this.lastState = clock;
      // Not published: try again next round rather than let the edge's view age.
      this.dirty = !(await this.phase('state', false, async () => {
        await this.capacity.publish();
        return true;
      }));
    }
    return gone === 50 || noticed === 20 || claimed === 100;
  }

  private async phase<T>(name: Phase, fallback: T, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      failures.inc({ phase: name });
      this.logger.warn(`worker ${name}: ${describeError(error)}`);
      return fallback;
    }
  }
}
