import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { Codecs, Subjects } from '@torii/contracts';
import { describeError } from '@torii/errors';
import { JetStreamPublisher } from '@torii/messaging';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';
import { QuarantineRepository } from './quarantine.repository';
import { QuarantineService } from './quarantine.service';

const RELAY_INTERVAL_MS = 2_000;

/**
 * Background work, safe on several replicas: the notice relay (outbox → `mail.submit`, SKIP LOCKED),
 * retention (SPAM12, SKIP LOCKED) and due digests (SPAM13, SKIP LOCKED on the boxes).
 */
@Injectable()
export class QuarantineJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(QuarantineJobs.name);
  private timers: NodeJS.Timeout[] = [];
  private relaying: Promise<number> | undefined;
  private sweeping: Promise<void> | undefined;

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
    } catch (error) {
      this.logger.warn(`quarantine sweep: ${describeError(error)}`);
    }
    await this.relay();
  }
}
