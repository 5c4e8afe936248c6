import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { PermanentError, describeError } from '@torii/errors';
import { JetStreamPublisher, type Codec } from '@torii/messaging';
import { counter } from '@torii/telemetry';
import { PollLoop } from '@torii/worker';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import { DeliveryRepository, type OutboxClaim } from '../persistence/delivery.repository';

/**
 * Publishes what state changes wrote into the outbox (transactional outbox, not publish-after-commit: a
 * commit whose publish fails — NATS away, process killed — is still published later, and a repeat is
 * dropped by the stream's Nats-Msg-Id window). Replicas share the rows: a pass claims its batch with row
 * locks (SKIP LOCKED) and stamps it in the same transaction, so each row is published by one replica (a
 * pass that dies after publishing leaves its rows to the next one, and the Nats-Msg-Id drops the repeat).
 * A pass starts no publish after PASS_BUDGET_MS: its transaction stays well inside CLAIM_TIMEOUT_MS.
 *
 * A row that fails does not hold up the others: it backs off on its own (publishRetryDelay) and the pass
 * goes on. Order kept: one message's status events (same ordering key, the msg_id before the first ':')
 * go out in the order they were written — a later one waits while an earlier one backs off. Across
 * messages (and streams) there is no order. A row the stream refuses as bad (PermanentError)
 * MAX_PERMANENT_REFUSALS times is moved aside (failed_at), logged and counted, and no longer blocks its key.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly loop: PollLoop;

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly publisher: JetStreamPublisher,
    @Inject(DELIVERY_CONFIG) config: DeliveryConfig,
  ) {
    this.loop = new PollLoop({
      step: async () => (await this.publishBatch()) > 0,
      idleMs: config.OUTBOX_POLL,
      onError: (error) => this.logger.warn(`outbox: ${describeError(error)}`),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /** Stops before the database and NATS connections close (they close on application shutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /** Publishes one batch claimed by this replica; returns how many rows were tried. */
  async publishBatch(limit = 200): Promise<number> {
    return this.repository.claimUnpublished(limit, CLAIM_TIMEOUT_MS, async (claim) => {
      const deadline = Date.now() + PASS_BUDGET_MS;
      const done: bigint[] = [];
      const blocked = new Set<string>(); // ordering keys with a row that failed (or was left) in this pass
      let tried = 0;
      for (const row of claim.rows) {
        const key = orderingKey(row.msgId);
        if (blocked.has(key)) continue;
        if (Date.now() > deadline) break; // the rest waits for the next pass
        tried++;
        try {
          await this.publisher.publish(row.subject, passthrough(row.typeName), new Uint8Array(row.payload), { msgId: row.msgId });
          done.push(row.id);
        } catch (error) {
          blocked.add(key);
          await this.failed(claim, row, error);
        }
      }
      await claim.markPublished(done);
      return tried;
    });
  }

  private async failed(claim: OutboxClaim, row: { id: bigint; subject: string; msgId: string; attempts: number }, error: unknown): Promise<void> {
    const attempts = row.attempts + 1;
    const moveAside = error instanceof PermanentError && attempts >= MAX_PERMANENT_REFUSALS;
    publishFailures.inc({ kind: error instanceof PermanentError ? 'permanent' : 'temporary' });
    if (moveAside) {
      outboxFailed.inc();
      this.logger.error(
        `outbox row ${row.id} (${row.subject}, msg-id ${row.msgId}) refused ${attempts} times, moved aside and never published: ${describeError(error)}`,
      );
    } else {
      this.logger.warn(`outbox row ${row.id} (${row.subject}) not published (attempt ${attempts}), retried later: ${describeError(error)}`);
    }
    await claim.recordFailure(row.id, describeError(error), publishRetryDelay(attempts), moveAside);
  }
}

/** A pass starts no publish after this long (each publish may wait up to the publisher's 5 s timeout). */
const PASS_BUDGET_MS = 20_000;
/** The claim's transaction: the budget, one last publish's timeout, and room to spare. */
const CLAIM_TIMEOUT_MS = 60_000;

/** A row refused as bad (PermanentError) this many times is moved aside instead of retried. */
export const MAX_PERMANENT_REFUSALS = 5;

const publishFailures = counter('torii_delivery_outbox_publish_failures_total', 'Outbox rows whose publish failed', ['kind']);
const outboxFailed = counter('torii_delivery_outbox_failed_total', 'Outbox rows moved aside after repeated refusals (never published)');

/** Back-off after the n-th failed publish of a row: 1 s, 2 s, 4 s, … capped at 5 minutes. */
export function publishRetryDelay(attempts: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, Math.min(attempts - 1, 20)), 300_000);
}

/** Rows sharing this go out in order: a status event's message id (msg_id `<message>:<rcpt>:<state>:<n>`). */
export function orderingKey(msgId: string): string {
  const colon = msgId.indexOf(':');
  return colon < 0 ? msgId : msgId.slice(0, colon);
}

function passthrough(typeName: string): Codec<Uint8Array> {
  return { typeName, encode: (bytes) => bytes, decode: (bytes) => bytes };
}
