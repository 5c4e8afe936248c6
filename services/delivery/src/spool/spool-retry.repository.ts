import { Injectable } from '@nestjs/common';
import { DeliveryDb } from '../persistence/delivery-db';
import type { OutboxEvent } from '../persistence/delivery.repository';

export interface ExpiredRecipient {
  id: bigint;
  address: string;
  attempts: number;
  remote?: { host: string; ip: string; code: number; enhanced: string; text: string };
}

/** The delivery rows a spool command touches: only recipients still `deferred` (a repeated command is a no-op). */
@Injectable()
export class SpoolRetryRepository {
  constructor(private readonly db: DeliveryDb) {}

  /** The recipients are due now: the worker claims them on its next round. */
  async makeDue(messageId: string, addresses: string[], now: Date): Promise<number> {
    const result = await this.db.recipient.updateMany({
      where: { messageId, address: { in: addresses }, state: 'deferred' },
      data: { nextAttemptAt: now },
    });
    return result.count;
  }

  /**
   * The spool gave up: the recipients are bounced (reason "expired") with a failure DSN owed, and their
   * events go to the outbox in the same transaction. Under the message's row lock, which a claim also
   * takes (and skips when held): a worker claiming a recipient between the read and the write made it
   * `delivering`, the guarded write skipped it, and its bounce was announced anyway (race 8 of session 7).
   */
  async expire(messageId: string, addresses: string[], events: (message: { tenantId: string; direction: 'inbound' | 'outbound' }, recipients: ExpiredRecipient[]) => OutboxEvent[]): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const [message] = await tx.$queryRaw<{ tenantId: string; direction: 'inbound' | 'outbound' }[]>`
        SELECT tenant_id AS "tenantId", direction::text AS direction FROM message WHERE id = ${messageId} FOR UPDATE`;
      if (!message) return 0;
      const rows = await tx.recipient.findMany({ where: { messageId, address: { in: addresses }, state: 'deferred' } });
      if (rows.length === 0) return 0;
      const updated = await tx.recipient.updateMany({
        where: { id: { in: rows.map((r) => r.id) }, state: 'deferred' },
        data: { state: 'bounced', reason: 'expired', dsnPending: true, nextAttemptAt: null, leaseUntil: null },
      });
      // Nothing else moves a deferred recipient of a locked message; should that change, announce nothing stale.
      if (updated.count !== rows.length) throw new Error(`expire ${messageId}: ${rows.length - updated.count} recipient(s) changed under the message lock`);
      const expired: ExpiredRecipient[] = rows.map((r) => ({
        id: r.id,
        address: r.address,
        attempts: r.attempts,
        remote:
          r.lastCode !== null || r.remoteHost
            ? { host: r.remoteHost ?? '', ip: r.remoteIp ?? '', code: r.lastCode ?? 0, enhanced: r.lastEnhanced ?? '', text: r.lastText ?? '' }
            : undefined,
      }));
      const outbox = events(message, expired);
      if (outbox.length > 0) {
        await tx.outbox.createMany({
          data: outbox.map((e) => ({ subject: e.subject, msgId: e.msgId, typeName: e.typeName, payload: Buffer.from(e.payload) })),
          skipDuplicates: true,
        });
      }
      return rows.length;
    });
  }
}
