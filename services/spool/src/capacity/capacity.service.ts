import { Inject, Injectable, Logger } from '@nestjs/common';
import { SpoolStateSchema, create, timestampFromDate } from '@torii/contracts';
import { gauge } from '@torii/telemetry';
import { SPOOL_CONFIG, type SpoolConfig } from '../config/spool.config';
import { CLOCK, type Clock } from '../schedule/clock';
import { isFull } from '../schedule/schedule.rules';
import { SpoolRepository } from '../spool/spool.repository';
import { SpoolStateRepository } from './spool-state.repository';

const spooledBytes = gauge('torii_spool_bytes', 'Bytes of mail held by the spool (all tenants)');
const capacityBytes = gauge('torii_spool_capacity_bytes', 'The spool capacity limit (SPOOL_CAPACITY_BYTES)');
const spooledMessages = gauge('torii_spool_messages', 'Messages held by the spool');
const downDomains = gauge('torii_spool_down_domains', 'Domains whose server is down (they have spooled inbound mail)');
/** The alert: 1 while the spool is at or above its limit and the edge refuses mail for down domains. */
const full = gauge('torii_spool_capacity_exceeded', 'SEC4: spool full, the edge answers 452 4.3.1 for down domains');

/** SEC4: how full the shared spool is, as metrics and as the KV entry the edge watches. */
@Injectable()
export class CapacityService {
  private readonly logger = new Logger(CapacityService.name);
  private wasFull = false;

  constructor(
    private readonly repository: SpoolRepository,
    private readonly state: SpoolStateRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SPOOL_CONFIG) private readonly config: SpoolConfig,
  ) {}

  async publish(): Promise<void> {
    const totals = await this.repository.totals();
    const limit = BigInt(this.config.SPOOL_CAPACITY_BYTES);
    const isNowFull = isFull(totals.bytes, limit);
    spooledBytes.set(Number(totals.bytes));
    capacityBytes.set(Number(limit));
    spooledMessages.set(totals.messages);
    downDomains.set(totals.downDomains.length);
    full.set(isNowFull ? 1 : 0);
    if (isNowFull !== this.wasFull) {
      this.wasFull = isNowFull;
      if (isNowFull) this.logger.error(`spool full: ${totals.bytes} of ${limit} bytes; the edge refuses mail for down domains`);
      else this.logger.log(`spool below its limit again: ${totals.bytes} of ${limit} bytes`);
    }
    await this.state.put(
      create(SpoolStateSchema, {
        spooledBytes: totals.bytes,
        limitBytes: limit,
        full: isNowFull,
        downDomains: totals.downDomains,
        spooledMessages: BigInt(totals.messages),
        updatedAt: timestampFromDate(this.clock.now()),
      }),
    );
  }
}
