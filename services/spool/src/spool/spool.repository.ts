import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../generated/prisma';
import { pickForDrain } from '../schedule/schedule.rules';
import { SpoolDb } from './spool-db';

export type SpooledMessageRow = Prisma.SpooledMessageGetPayload<object>;
export type SpooledRecipientRow = Prisma.SpooledRecipientGetPayload<object>;
export type SpooledWithRecipients = SpooledMessageRow & { recipients: SpooledRecipientRow[] };

/** One deferred recipient handed over by delivery, with the message facts and the last reply. */
export interface DeferredFacts {
  messageId: string;
  tenantId: string;
  domain: string;
  direction: 'inbound' | 'outbound';
  bucket: string;
  objectKey: string;
  size: bigint;
  mailFrom: string;
  ret: string;
  envid: string;
  receivedAt: Date;
  firstFailedAt: Date;
  recipient: { address: string; notify: string[]; orcpt: string };
  reply: { status: string; diagnostic: string; host: string };
}

export interface DomainSpool {
  domain: string;
  tenantId: string;
  messages: number;
  bytes: bigint;
  oldest: Date;
  nextAttemptAt: Date;
  lastError: string;
}

export interface SpoolTotals {
  bytes: bigint;
  messages: number;
  /** Domains with inbound mail in the spool: their server is down (SEC4's spool-bound domains). */
  downDomains: string[];
}

// Advisory lock keys (one Postgres database may hold several services: keep them distinctive).
const CLAIM_LOCK = 0x5f001;
const PROBE_LOCK = 0x5f002;
export const SpoolLocks = { claim: CLAIM_LOCK, probe: PROBE_LOCK } as const;

const TX = { timeout: 30_000, maxWait: 10_000 } as const;
/** How long a delay notice that failed waits before it is tried again. */
export const NOTICE_RETRY_MS = 60_000;

/**
 * Orders the writes of one message's recipients across replicas (a transaction-scoped advisory lock, released at
 * commit or rollback). Without it, two replicas resolving a message's last two recipients each counted the other
 * as left and the message row stayed with no recipient; a stale deferral read "not resolved" just before the
 * outcome committed and re-spooled a delivered recipient; and the two orders of row locks deadlocked. Taken first
 * in acceptDeferred and resolveRecipient only: the claim, notice and expiry paths lock rows, never this, so no
 * cycle can form.
 */
async function lockMessage(tx: Prisma.TransactionClient, messageId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`spool-message:${messageId}`}))`;
}

/** The only file that touches the spool schema. Claims use row locks with SKIP LOCKED and leases. */
@Injectable()
export class SpoolRepository {
  constructor(private readonly db: SpoolDb) {}

  /**
   * Takes a deferred recipient over. A new message gets its schedule (`times`); a known one records the
   * failed attempt: last diagnostic, lease released, next attempt one interval later (never past give-up).
   * False (nothing written) when the recipient already reached a final state: the deferral is stale.
   */
  async acceptDeferred(
    facts: DeferredFacts,
    times: { nextAttemptAt: Date; delayNoticeAt: Date; giveUpAt: Date; retryIntervalMs: number },
    now: Date,
  ): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      await lockMessage(tx, facts.messageId);
      // Already delivered or bounced: this deferral is older than that outcome (the bus reordered them).
      if (await tx.resolvedRecipient.findUnique({ where: { messageId_address: { messageId: facts.messageId, address: facts.recipient.address } } })) return false;
      await tx.$executeRaw`
        INSERT INTO spooled_message (id, tenant_id, domain, direction, bucket, object_key, size, mail_from, ret, envid,
          received_at, first_failed_at, retry_interval_ms, delay_notice_at, give_up_at, next_attempt_at,
          last_error, last_status, remote_host, last_attempt_at)
        VALUES (${facts.messageId}, ${facts.tenantId}, ${facts.domain}, ${facts.direction}::"Direction", ${facts.bucket},
          ${facts.objectKey}, ${facts.size}, ${facts.mailFrom}, ${facts.ret}, ${facts.envid}, ${facts.receivedAt},
          ${facts.firstFailedAt}, ${times.retryIntervalMs}, ${times.delayNoticeAt}, ${times.giveUpAt}, ${times.nextAttemptAt},
          ${facts.reply.diagnostic}, ${facts.reply.status}, ${facts.reply.host}, ${now})
        ON CONFLICT (id) DO UPDATE SET
          last_error = EXCLUDED.last_error, last_status = EXCLUDED.last_status, remote_host = EXCLUDED.remote_host,
          last_attempt_at = EXCLUDED.last_attempt_at, lease_until = NULL,
          next_attempt_at = LEAST(${now}::timestamptz + spooled_message.retry_interval_ms * interval '1 millisecond',
                                  spooled_message.give_up_at)`;
      await tx.spooledRecipient.createMany({
        data: [{ messageId: facts.messageId, ...facts.recipient }],
        skipDuplicates: true,
      });
      return true;
    });
  }

  /** A recipient was delivered or bounced: it leaves the spool, and the message with its last recipient. */
  async resolveRecipient(messageId: string, address: string, attempt = 0, now = new Date()): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      await lockMessage(tx, messageId);
      // After a deferral (attempt > 1) a stale `deferred` may still come: remember the outcome for it. A first
      // attempt's outcome had no deferral before it, so nothing is written for the common case.
      if (attempt > 1) {
        await tx.resolvedRecipient.createMany({ data: [{ messageId, address, attempt, resolvedAt: now }], skipDuplicates: true });
      }
      const removed = await tx.spooledRecipient.deleteMany({ where: { messageId, address } });
      if (removed.count === 0) return false;
      const left = await tx.spooledRecipient.count({ where: { messageId } });
      if (left === 0) await tx.spooledMessage.deleteMany({ where: { id: messageId } });
      else await tx.spooledMessage.updateMany({ where: { id: messageId }, data: { leaseUntil: null } });
      return true;
    });
  }

  /** Forgets final outcomes older than `before` (no stale deferral can come that late). */
  async pruneResolved(before: Date): Promise<number> {
    return (await this.db.resolvedRecipient.deleteMany({ where: { resolvedAt: { lt: before } } })).count;
  }

  /** SEC3: the domain's server is back: its waiting mail is due now (the claim bounds the concurrency). */
  async makeDomainDue(domain: string, now: Date, direction?: 'inbound'): Promise<number> {
    const result = await this.db.spooledMessage.updateMany({
      where: { domain, nextAttemptAt: { gt: now }, ...(direction ? { direction } : {}) },
      data: { nextAttemptAt: now },
    });
    return result.count;
  }

  /**
   * Claims due messages in order of arrival, at most `perDomain` in flight per domain, under a lease; `send`
   * runs inside the transaction (a failed send leaves nothing claimed). One replica claims at a time (an
   * advisory lock keeps the per-domain count exact); rows are also locked with SKIP LOCKED.
   */
  async claimDue(
    now: Date,
    leaseMs: number,
    perDomain: number,
    limit: number,
    send: (messages: SpooledWithRecipients[]) => Promise<void>,
  ): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${CLAIM_LOCK}::bigint) AS locked`;
      if (!lock?.locked) return 0;
      const candidates = await tx.$queryRaw<{ id: string; domain: string }[]>`
        SELECT id, domain FROM spooled_message
         WHERE next_attempt_at <= ${now} AND give_up_at > ${now} AND (lease_until IS NULL OR lease_until <= ${now})
         ORDER BY received_at, id LIMIT 500 FOR UPDATE SKIP LOCKED`;
      if (candidates.length === 0) return 0;
      const inFlight = await tx.$queryRaw<{ domain: string; n: number }[]>`
        SELECT domain, count(*)::int AS n FROM spooled_message WHERE lease_until > ${now} GROUP BY domain`;
      const picked = pickForDrain(candidates, new Map(inFlight.map((r) => [r.domain, r.n])), perDomain, limit);
      if (picked.length === 0) return 0;
      const ids = picked.map((p) => p.id);
      await tx.$executeRaw`
        UPDATE spooled_message SET attempts = attempts + 1,
               lease_until = ${now}::timestamptz + ${leaseMs}::int * interval '1 millisecond'
         WHERE id = ANY(${ids}::text[])`;
      const rows = await tx.spooledMessage.findMany({
        where: { id: { in: ids } },
        include: { recipients: { orderBy: { address: 'asc' } } },
        orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
      });
      await send(rows);
      return rows.length;
    }, TX);
  }

  /**
   * Messages owing a delay notice, each in its own transaction under its row lock, marked once `notify`
   * returns. A notice that throws is rolled back alone (`failed` hears of it) and its notice time moves
   * NOTICE_RETRY_MS on, so one bad message neither undoes the others' nor comes first again at every poll.
   */
  async delayNoticesDue(
    now: Date,
    limit: number,
    notify: (message: SpooledWithRecipients) => Promise<void>,
    failed: (messageId: string, error: unknown) => void,
  ): Promise<number> {
    const due = await this.db.$queryRaw<{ id: string }[]>`
      SELECT id FROM spooled_message
       WHERE NOT delay_notice_sent AND delay_notice_at <= ${now} AND give_up_at > ${now}
       ORDER BY delay_notice_at, id LIMIT ${limit}`;
    let handled = 0;
    for (const { id } of due) {
      try {
        await this.db.$transaction(async (tx) => {
          // Another replica may hold it (SKIP LOCKED), or it was sent or resolved since the list was read.
          const [locked] = await tx.$queryRaw<{ id: string }[]>`
            SELECT id FROM spooled_message
             WHERE id = ${id} AND NOT delay_notice_sent AND delay_notice_at <= ${now} AND give_up_at > ${now}
             FOR UPDATE SKIP LOCKED`;
          if (!locked) return;
          handled++;
          const message = await tx.spooledMessage.findUniqueOrThrow({ where: { id }, include: { recipients: { orderBy: { address: 'asc' } } } });
          await notify(message);
          await tx.spooledMessage.update({ where: { id }, data: { delayNoticeSent: true } });
        }, TX);
      } catch (error) {
        failed(id, error);
        await this.db.$executeRaw`
          UPDATE spooled_message SET delay_notice_at = LEAST(${now}::timestamptz + ${NOTICE_RETRY_MS}::int * interval '1 millisecond', give_up_at)
           WHERE id = ${id} AND NOT delay_notice_sent`;
      }
    }
    // Those this replica handled (sent or failed), not those another replica held: a full list of rows held
    // elsewhere must not make the worker poll again at once.
    return handled;
  }

  /** Messages past their give-up time: `expire` hands them back to delivery, then they leave the spool. */
  async expireDue(now: Date, limit: number, expire: (message: SpooledWithRecipients) => Promise<void>): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const due = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM spooled_message WHERE give_up_at <= ${now}
         ORDER BY give_up_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      for (const { id } of due) {
        const message = await tx.spooledMessage.findUniqueOrThrow({ where: { id }, include: { recipients: { orderBy: { address: 'asc' } } } });
        await expire(message);
        await tx.spooledMessage.delete({ where: { id } });
      }
      return due.length;
    }, TX);
  }

  /** Down domains worth probing: inbound mail waiting, none of it due or in flight. */
  async probeTargets(now: Date): Promise<string[]> {
    const rows = await this.db.$queryRaw<{ domain: string }[]>`
      SELECT domain FROM spooled_message WHERE direction = 'inbound'
       GROUP BY domain
      HAVING min(next_attempt_at) > ${now} AND count(*) FILTER (WHERE lease_until > ${now}) = 0`;
    return rows.map((r) => r.domain);
  }

  async totals(): Promise<SpoolTotals> {
    const [sum] = await this.db.$queryRaw<{ bytes: bigint | null; messages: number }[]>`
      SELECT sum(size)::bigint AS bytes, count(*)::int AS messages FROM spooled_message`;
    const down = await this.db.$queryRaw<{ domain: string }[]>`
      SELECT DISTINCT domain FROM spooled_message WHERE direction = 'inbound' ORDER BY domain`;
    return { bytes: sum?.bytes ?? 0n, messages: sum?.messages ?? 0, downDomains: down.map((d) => d.domain) };
  }

  /** What is spooled, per domain (one domain, one tenant's, or all). */
  async domainSummaries(filter: { domain?: string; tenantId?: string } = {}): Promise<DomainSpool[]> {
    const rows = await this.db.$queryRaw<DomainSpool[]>`
      SELECT domain, min(tenant_id) AS "tenantId", count(*)::int AS messages, sum(size)::bigint AS bytes,
             min(received_at) AS oldest, min(next_attempt_at) AS "nextAttemptAt",
             (array_agg(last_error ORDER BY last_attempt_at DESC))[1] AS "lastError"
        FROM spooled_message
       WHERE (${filter.domain ?? null}::text IS NULL OR domain = ${filter.domain ?? null})
         AND (${filter.tenantId ?? null}::text IS NULL OR tenant_id = ${filter.tenantId ?? null})
       GROUP BY domain ORDER BY domain`;
    return rows;
  }

  /**
   * Runs `fn` only where no other replica holds the same advisory lock (false otherwise); the lock is bound
   * to a transaction, so a crashed holder releases it.
   */
  async withAdvisoryLock(key: number, fn: () => Promise<void>): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${key}::bigint) AS locked`;
      if (!row?.locked) return false;
      await fn();
      return true;
    }, { timeout: 120_000, maxWait: 10_000 });
  }
}
