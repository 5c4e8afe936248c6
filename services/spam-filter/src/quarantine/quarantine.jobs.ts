import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { Codecs, Subjects } from '@torii/contracts';
import { describeError } from '@torii/errors';
import { JetStreamPublisher } from '@torii/messaging';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';
import { QuarantineRepository } from './quarantine.repository';
import { QuarantineService } from './quarantine.service';

const RELAY_INTERVAL_MS = 2_000;
/** How often the copies no item references are looked for (each replica; the deletes are idempotent). */
const COPY_SWEEP_INTERVAL_MS = 6 * 3_600_000;

/**
 * Background work, safe on several replicas: the notice relay (outbox → `mail.submit`, SKIP LOCKED),
 * retention (SPAM12, SKIP LOCKED), due digests (SPAM13, SKIP LOCKED on the boxes) and, every 6 hours, the
 * copies no item references (a delete that failed after its removal committed).
 */
@Injectable()
export class QuarantineJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(QuarantineJobs.name);
  private timers: NodeJS.Timeout[] = [];
  private relaying: Promise<number> | undefined;
  private sweeping: Promise<void> | undefined;
  private lastCopySweep = 0;

  constructor(
    @Inject(SPAM_FILTER_CONFIG) private readonly config: SpamFilterConfig,
    private readonly repository: QuarantineRepository,
    private readonly quarantine: QuarantineService,
    private readonly publisher: JetStreamPublisher,
  ) {}

  onApplicationBootstrap(): void {
    this.timers.push(setInterval(() => void this.relay(), RELAY_INTERVAL_MS));
    if (this.config.QUARANTINE_JOB_INTERVAL > 0) this.timers.push(setInterval(() => this.sweepOnce(), this.config.QUARANTINE_JOB_INTERVAL));
    for (const t of this.timers) t.unref();
  }

  /** Stops the timers and waits for a running sweep or relay, before the database and NATS close. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled([this.sweeping, this.relaying]);
  }

  /** A timer's sweep: skipped while the previous one still runs (a slow digest run must not pile up). */
  private sweepOnce(): void {
    this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
  }

  /** Publishes what the outbox holds; never throws (the next tick retries). */
  async relay(): Promise<number> {
    if (this.relaying) return this.relaying;
    this.relaying = this.repository
      .relay(50, async (row) => {
        await this.publisher.publish(Subjects.mailSubmit, Codecs.mailSubmit, Codecs.mailSubmit.decode(row.payload), { msgId: row.submitId, expectStream: 'MAIL' });
      })
      .catch((error: unknown) => {
        this.logger.warn(`notice relay: ${describeError(error)}`);
        return 0;
      })
      .finally(() => (this.relaying = undefined));
    return this.relaying;
  }

  /** Retention and due digests, then the relay. */
  async sweep(now = new Date()): Promise<void> {
    try {
      const removed = await this.quarantine.removeExpired(now);
      if (removed > 0) this.logger.log(`retention removed ${removed} quarantined message(s)`);
      await this.quarantine.sendDigests(now);
      if (now.getTime() - this.lastCopySweep >= COPY_SWEEP_INTERVAL_MS) {
        this.lastCopySweep = now.getTime();
        const orphans = await this.quarantine.sweepCopies(now);
        if (orphans > 0) this.logger.warn(`deleted ${orphans} quarantine cop(ies) that no item referenced (a delete had failed)`);
      }
    } catch (error) {
      this.logger.warn(`quarantine sweep: ${describeError(error)}`);
    }
    await this.relay();
  }
}
