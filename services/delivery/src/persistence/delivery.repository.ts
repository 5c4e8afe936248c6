import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Prisma } from '../../generated/prisma';
import { DeliveryDb } from './delivery-db';

export type RecipientStateName =
  | 'pending'
  | 'awaiting_verdicts'
  | 'delivering'
  | 'delivered'
  | 'deferred'
  | 'bounced'
  | 'dropped'
  | 'quarantined'
  | 'held';

export interface OutboxEvent {
  subject: string;
  msgId: string;
  typeName: string;
  payload: Uint8Array;
}

export interface NewMessage {
  id: string;
  origin: 'received' | 'submit';
  tenantId: string;
  domain: string;
  direction: 'inbound' | 'outbound';
  bucket: string;
  objectKey: string;
  sha256: string;
  size: bigint;
  receivedAt: Date;
  envelope: { mailFrom: string; ret: string; envid: string };
  event: Prisma.InputJsonValue;
  requiredVerdicts: string[];
  verdictPolicy: Prisma.InputJsonValue;
  /** The W3C traceparent of the event's trace, when there is one. */
  traceParent?: string;
  recipients: { address: string; notify: string[]; orcpt: string }[];
}

export interface OutboxRow {
  id: bigint;
  subject: string;
  msgId: string;
  typeName: string;
  payload: Uint8Array;
  /** Failed publishes so far. */
  attempts: number;
}

/** Outbox rows claimed by one publishing pass, and what the pass writes back about them (in its transaction). */
export interface OutboxClaim {
  rows: OutboxRow[];
  markPublished(ids: bigint[]): Promise<void>;
  /** A publish failed: try again after `retryInMs`, or (`moveAside`) never again. */
  recordFailure(id: bigint, error: string, retryInMs: number, moveAside: boolean): Promise<void>;
}

export type MessageRow = Prisma.MessageGetPayload<object>;
export type RecipientRow = Prisma.RecipientGetPayload<object>;
export type VerdictRow = Prisma.VerdictGetPayload<object>;
export type MessageWithRecipients = MessageRow & { recipients: RecipientRow[] };

/** A recipient's new state, written with the events announcing it. */
export interface RecipientUpdate {
  id: bigint;
  state: RecipientStateName;
  reason: string;
  treatment?: Prisma.InputJsonValue;
  nextAttemptAt?: Date | null;
  firstFailedAt?: Date | null;
  reply?: { code: number; enhanced: string; text: string; host: string; ip: string };
  dsnPending?: boolean;
}

export type EvaluationResult =
  | { kind: 'wait'; until: Date }
  | { kind: 'decided'; updates: RecipientUpdate[]; events: OutboxEvent[] };

/** The reason of a recipient an administrator released from a hold, until the join has judged it again. */
export const RELEASED_REASON = 'released-by-admin';

export type AuditRow = Prisma.AuditLogGetPayload<object>;

/** Who acts by hand on a message (written to the audit log with what it changed). */
export interface ManualAudit {
  actor: string;
  actorRole: string;
}

export const DELIVERY_AUDIT_ACTIONS = ['delivery.held.release', 'delivery.held.delete', 'delivery.deferred.retry'] as const;
export type DeliveryAuditAction = (typeof DELIVERY_AUDIT_ACTIONS)[number];

/** One audit row inside the caller's transaction: the recipients changed, and why they were held or deferred. */
async function writeAudit(
  tx: Prisma.TransactionClient,
  audit: ManualAudit,
  action: DeliveryAuditAction,
  message: { tenant_id: string; domain: string },
  messageId: string,
  recipients: RecipientRow[],
): Promise<void> {
  await tx.auditLog.create({
    data: {
      actor: audit.actor,
      actorRole: audit.actorRole,
      tenantId: message.tenant_id,
      domain: message.domain,
      action,
      target: messageId,
      details: { recipients: recipients.map((r) => ({ address: r.address, reason: r.reason })) },
    },
  });
}

/**
 * Orders a message's arrival and its verdicts across replicas (a transaction-scoped advisory lock, released at
 * commit). Without it a verdict committed while the message was being inserted found no row to nudge, and the
 * insert's own join saw no verdict: the message waited out the verdict timeout (race 7 of session 7).
 */
async function lockMessage(tx: Prisma.TransactionClient, messageId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`delivery-message:${messageId}`}))`;
}

// A recipient is due when it waits for an attempt whose time has come, or a crashed worker's lease ran out.
const DUE = `((r.state IN ('pending','deferred') AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= now()))
              OR (r.state = 'delivering' AND r.lease_until < now()))`;

/** The only file that touches the delivery schema. Every state change and its events share a transaction. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly db: DeliveryDb) {}

  /** Stores a new message and its recipients (awaiting the verdict join); false when it was already known. */
  async insertMessage(message: NewMessage): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      await lockMessage(tx, message.id);
      const { recipients, ...row } = message;
      const created = await tx.message.createMany({ data: [{ ...row, evaluateAt: new Date() }], skipDuplicates: true });
      if (created.count === 0) return false;
      await tx.recipient.createMany({
        data: recipients.map((r) => ({ ...r, messageId: message.id, state: 'awaiting_verdicts' as const })),
        skipDuplicates: true,
      });
      return true;
    });
  }

  /**
   * Stores a verdict once (message id + kind) and asks for the join to be looked at again. A verdict that
   * comes after its timeout, for a message held because it did not come (fail-closed), re-opens the join
   * of the recipients it held: they are judged now instead of staying held.
   */
  async recordVerdict(messageId: string, kind: string, payload: Prisma.InputJsonValue): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      // Serialised with the message's insert (the advisory lock: the row may not be committed yet) and with its
      // join (evaluateDue locks the same row): a verdict arriving while the join holds the message for want of
      // it sees the hold, and re-opens it.
      await lockMessage(tx, messageId);
      await tx.$queryRaw`SELECT id FROM message WHERE id = ${messageId} FOR UPDATE`;
      const created = await tx.verdict.createMany({ data: [{ messageId, kind, payload }], skipDuplicates: true });
      const failed = (payload as { failed?: unknown } | null)?.failed === true;
      const reopened =
        created.count > 0 && !failed
          ? await tx.recipient.updateMany({
              where: { messageId, state: 'held', reason: `${kind}-unchecked` },
              data: { state: 'awaiting_verdicts', reason: `${kind}-late` },
            })
          : { count: 0 };
      await tx.message.updateMany({
        where: { id: messageId, ...(reopened.count > 0 ? {} : { evaluateAt: { not: null } }) },
        data: { evaluateAt: new Date() },
      });
      return created.count > 0;
    });
  }

  /**
   * An administrator releases the held recipients of a message: they go back to the join, marked released
   * (src/verdicts: nothing holds them again; the other verdicts still apply). Returns how many.
   */
  async releaseHeld(messageId: string, audit: ManualAudit): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const [message] = await tx.$queryRaw<{ tenant_id: string; domain: string }[]>`
        SELECT tenant_id, domain FROM message WHERE id = ${messageId} FOR UPDATE`;
      const held = await tx.recipient.findMany({ where: { messageId, state: 'held' }, orderBy: { id: 'asc' } });
      if (!message || held.length === 0) return 0;
      const released = await tx.recipient.updateMany({
        where: { id: { in: held.map((r) => r.id) }, state: 'held' },
        data: { state: 'awaiting_verdicts', reason: RELEASED_REASON },
      });
      await tx.message.update({ where: { id: messageId }, data: { evaluateAt: new Date() } });
      await writeAudit(tx, audit, 'delivery.held.release', message, messageId, held);
      return released.count;
    });
  }

  /** An administrator deletes the held recipients of a message: dropped, with the events saying so. */
  async dropHeld(messageId: string, reason: string, eventsFor: (recipients: RecipientRow[]) => OutboxEvent[], audit: ManualAudit): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const [message] = await tx.$queryRaw<{ tenant_id: string; domain: string }[]>`
        SELECT tenant_id, domain FROM message WHERE id = ${messageId} FOR UPDATE`;
      const held = await tx.recipient.findMany({ where: { messageId, state: 'held' }, orderBy: { id: 'asc' } });
      if (!message || held.length === 0) return 0;
      const count = await this.writeUpdates(tx, held.map((r) => ({ id: r.id, state: 'dropped' as const, reason })), 'held');
      await this.writeEvents(tx, eventsFor(held));
      await writeAudit(tx, audit, 'delivery.held.delete', message, messageId, held);
      return count;
    });
  }

  /** Messages whose verdict join is due, each decided under a row lock (safe with several replicas). */
  async evaluateDue(
    limit: number,
    decide: (message: MessageWithRecipients, verdicts: VerdictRow[]) => EvaluationResult,
  ): Promise<number> {
    const due = await this.db.$queryRaw<{ id: string }[]>`
      SELECT id FROM message WHERE evaluate_at <= now() ORDER BY evaluate_at LIMIT ${limit}`;
    let done = 0;
    for (const { id } of due) {
      await this.db.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM message WHERE id = ${id} AND evaluate_at <= now() FOR UPDATE SKIP LOCKED`;
        if (locked.length === 0) return;
        const message = await tx.message.findUniqueOrThrow({
          where: { id },
          include: { recipients: { where: { state: 'awaiting_verdicts' }, orderBy: { id: 'asc' } } },
        });
        const verdicts = await tx.verdict.findMany({ where: { messageId: id } });
        const result = decide(message, verdicts);
        if (result.kind === 'wait') {
          await tx.message.update({ where: { id }, data: { evaluateAt: result.until } });
          return;
        }
        await tx.message.update({ where: { id }, data: { evaluateAt: null } });
        await this.writeUpdates(tx, result.updates, 'awaiting_verdicts');
        await this.writeEvents(tx, result.events);
        done++;
      });
    }
    return done;
  }

  /**
   * Claims due recipients, a whole message at a time (so recipients of one treatment share a transaction):
   * they become `delivering` under a lease and a fresh claim token (on each recipient row). A crashed
   * worker's claims come back when the lease expires; a live worker keeps its lease with `renewLease`.
   * Messages in `exclude` (this process is delivering them already) are never claimed.
   */
  async claimDue(limit: number, leaseMs: number, exclude: string[] = []): Promise<MessageWithRecipients[]> {
    return this.db.$transaction(async (tx) => {
      const ids = await tx.$queryRawUnsafe<{ id: string }[]>(
        `SELECT m.id FROM message m
          WHERE EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id AND ${DUE})
            AND NOT (m.id = ANY($2::text[]))
          ORDER BY m.created_at LIMIT $1 FOR UPDATE OF m SKIP LOCKED`,
        limit,
        exclude,
      );
      if (ids.length === 0) return [];
      const messageIds = ids.map((r) => r.id);
      const claimed = await tx.$queryRawUnsafe<{ id: bigint }[]>(
        `UPDATE recipient r SET state = 'delivering', attempts = r.attempts + 1,
                lease_until = now() + ($2::int * interval '1 millisecond'), claim_token = $3, updated_at = now()
          WHERE r.message_id = ANY($1::text[]) AND ${DUE}
          RETURNING r.id`,
        messageIds,
        leaseMs,
        randomUUID(),
      );
      const claimedIds = claimed.map((r) => r.id);
      return tx.message.findMany({
        where: { id: { in: messageIds } },
        include: { recipients: { where: { id: { in: claimedIds } }, orderBy: { id: 'asc' } } },
        orderBy: { createdAt: 'asc' },
      });
    });
  }

  /**
   * Extends the lease of a message's recipients still `delivering` under this claim; returns how many.
   * 0 means the claim is gone (finished, or taken over after the lease ran out).
   */
  async renewLease(messageId: string, claimToken: string, leaseMs: number): Promise<number> {
    return this.db.$executeRaw`
      UPDATE recipient SET lease_until = now() + (${leaseMs}::int * interval '1 millisecond')
       WHERE message_id = ${messageId} AND state = 'delivering' AND claim_token = ${claimToken}`;
  }

  async startAttempt(messageId: string, recipients: string[], host: string, ip: string): Promise<bigint> {
    const row = await this.db.attempt.create({ data: { messageId, recipients, host, ip }, select: { id: true } });
    return row.id;
  }

  async finishAttempt(id: bigint, outcome: string, dataReply?: { code: number; text: string }): Promise<void> {
    await this.db.attempt.update({
      where: { id },
      data: { endedAt: new Date(), outcome, dataCode: dataReply?.code ?? null, dataText: dataReply?.text ?? null },
    });
  }

  /**
   * Writes the outcome of a delivery for recipients still claimed (`delivering` under `claimToken`), each
   * with its event. A recipient whose claim was lost (another worker took it after the lease ran out) keeps
   * the newer claimant's state, and its event is not written. Returns how many recipients were updated.
   */
  async applyDeliveryOutcome(
    claimToken: string | null,
    outcomes: { update: RecipientUpdate; event?: OutboxEvent }[],
    attempt?: { id: bigint; outcome: string; dataReply?: { code: number; text: string } },
  ): Promise<number> {
    return this.db.$transaction(async (tx) => {
      if (attempt) {
        await tx.attempt.update({
          where: { id: attempt.id },
          data: { endedAt: new Date(), outcome: attempt.outcome, dataCode: attempt.dataReply?.code ?? null, dataText: attempt.dataReply?.text ?? null },
        });
      }
      let applied = 0;
      for (const { update, event } of outcomes) {
        if ((await this.writeUpdates(tx, [update], 'delivering', claimToken)) === 0) continue;
        applied++;
        if (event) await this.writeEvents(tx, [event]);
      }
      return applied;
    });
  }

  /** Messages owing a failure DSN, with the recipients it covers. */
  async pendingDsns(limit: number): Promise<MessageWithRecipients[]> {
    return this.db.message.findMany({
      where: { recipients: { some: { dsnPending: true } } },
      include: { recipients: { where: { dsnPending: true }, orderBy: { id: 'asc' } } },
      take: limit,
    });
  }

  /**
   * The DSN was stored; its MailSubmit goes out through the outbox in the same transaction. Only when every
   * one of `recipientIds` still owes it: false (nothing written) when another pass settled some of them
   * since they were read. Two replicas could read different pending sets of one message and build the same
   * DSN id; the second one's outbox row was dropped as a duplicate while it cleared the recipients only it
   * had seen, so they never got a DSN (race 4 of session 7).
   */
  async completeDsn(messageId: string, recipientIds: bigint[], event: OutboxEvent | undefined): Promise<boolean> {
    if (recipientIds.length === 0) return false;
    const settled = new Error('dsn already settled');
    try {
      await this.db.$transaction(async (tx) => {
        // The message first, as the join and the claim lock it: two passes of one message queue here.
        await tx.$queryRaw`SELECT id FROM message WHERE id = ${messageId} FOR UPDATE`;
        const cleared = await tx.$queryRaw<{ id: bigint }[]>`
          UPDATE recipient SET dsn_pending = false, updated_at = now()
           WHERE message_id = ${messageId} AND id = ANY(${recipientIds}::bigint[]) AND dsn_pending
          RETURNING id`;
        if (cleared.length !== new Set(recipientIds.map(String)).size) throw settled;
        if (event) await this.writeEvents(tx, [event]);
      });
      return true;
    } catch (error) {
      if (error === settled) return false;
      throw error;
    }
  }

  /**
   * Claims the rows due for publishing and runs `work` on them inside one transaction that holds their row
   * locks (FOR UPDATE SKIP LOCKED), so replicas share the rows instead of each publishing all of them; what
   * `work` stamps through the claim commits with it. Due: not published, not moved aside, not backing off, in
   * id order. One message's events (same ordering key, the msg_id before the first ':') go out in the order
   * they were written: a row waits while an earlier row of its key backs off, or is claimed by another
   * replica's pass still publishing it. `timeoutMs` bounds the transaction (the pass must end well within it).
   */
  async claimUnpublished<T>(limit: number, timeoutMs: number, work: (claim: OutboxClaim) => Promise<T>): Promise<T> {
    return this.db.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          WITH claimed AS (
            SELECT o.id, o.subject, o.msg_id, o.type_name, o.payload, o.attempts
              FROM outbox o
             WHERE o.published_at IS NULL AND o.failed_at IS NULL
               AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())
               AND NOT EXISTS (
                     SELECT 1 FROM outbox p
                      WHERE split_part(p.msg_id, ':', 1) = split_part(o.msg_id, ':', 1) AND p.id < o.id
                        AND p.published_at IS NULL AND p.failed_at IS NULL AND p.next_attempt_at > now())
             ORDER BY o.id LIMIT ${limit}
             FOR UPDATE OF o SKIP LOCKED)
          SELECT c.id, c.subject, c.msg_id AS "msgId", c.type_name AS "typeName", c.payload, c.attempts
            FROM claimed c
           WHERE NOT EXISTS (
                   SELECT 1 FROM outbox p
                    WHERE split_part(p.msg_id, ':', 1) = split_part(c.msg_id, ':', 1) AND p.id < c.id
                      AND p.published_at IS NULL AND p.failed_at IS NULL
                      AND p.id NOT IN (SELECT id FROM claimed))
           ORDER BY c.id`;
        return work({
          rows,
          markPublished: async (ids) => {
            if (ids.length) await tx.outbox.updateMany({ where: { id: { in: ids } }, data: { publishedAt: new Date() } });
          },
          recordFailure: async (id, error, retryInMs, moveAside) => {
            await tx.$executeRaw`
              UPDATE outbox SET attempts = attempts + 1, last_error = ${error.slice(0, 2000)},
                     next_attempt_at = now() + (${retryInMs}::int * interval '1 millisecond'),
                     failed_at = CASE WHEN ${moveAside}::boolean THEN now() ELSE NULL END
               WHERE id = ${id} AND published_at IS NULL`;
          },
        });
      },
      { timeout: timeoutMs, maxWait: 10_000 },
    );
  }

  /** Which of these message ids have a row. */
  async knownMessageIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.message.findMany({ where: { id: { in: ids } }, select: { id: true } });
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Takes (or renews) the lease of a periodic job for `ms`: true when `holder` has it now. Free when nobody
   * holds it or the holder's lease ran out (a crashed holder), so no long transaction is ever needed.
   */
  async takeLease(name: string, holder: string, ms: number): Promise<boolean> {
    const rows = await this.db.$queryRaw<{ holder: string }[]>`
      INSERT INTO job_lease (name, holder, until) VALUES (${name}, ${holder}, now() + ${ms} * interval '1 millisecond')
      ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
        WHERE job_lease.until < now() OR job_lease.holder = EXCLUDED.holder
      RETURNING holder`;
    return rows.length === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.db.$executeRaw`UPDATE job_lease SET until = now() WHERE name = ${name} AND holder = ${holder}`;
  }

  /** How often each of these messages was already published again by reconciliation. */
  async orphanCounts(ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.reconcileOrphan.findMany({ where: { messageId: { in: ids } }, select: { messageId: true, republished: true } });
    return new Map(rows.map((r) => [r.messageId, r.republished]));
  }

  /** Counts one more republish of an orphan; returns the new count. */
  async countRepublish(messageId: string, objectKey: string): Promise<number> {
    const row = await this.db.reconcileOrphan.upsert({
      where: { messageId },
      create: { messageId, objectKey, republished: 1 },
      update: { republished: { increment: 1 }, lastAt: new Date() },
      select: { republished: true },
    });
    return row.republished;
  }

  async findMessage(id: string) {
    return this.db.message.findUnique({ where: { id }, include: { recipients: { orderBy: { id: 'asc' } }, attempts: { orderBy: { id: 'asc' } } } });
  }

  async recentMessages(filter: { tenantId?: string; domain?: string }, limit: number) {
    return this.db.message.findMany({
      where: { ...(filter.tenantId ? { tenantId: filter.tenantId } : {}), ...(filter.domain ? { domain: filter.domain } : {}) },
      include: { recipients: { orderBy: { id: 'asc' } } },
      orderBy: { createdAt: 'desc' },
      take: limit,
    });
  }

  /** Operator: deferred recipients of a message are due now. Returns how many. */
  async retryNow(messageId: string, audit: ManualAudit): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const [message] = await tx.$queryRaw<{ tenant_id: string; domain: string }[]>`
        SELECT tenant_id, domain FROM message WHERE id = ${messageId} FOR UPDATE`;
      const deferred = await tx.recipient.findMany({ where: { messageId, state: 'deferred' }, orderBy: { id: 'asc' } });
      if (!message || deferred.length === 0) return 0;
      const result = await tx.recipient.updateMany({
        where: { id: { in: deferred.map((r) => r.id) }, state: 'deferred' },
        data: { nextAttemptAt: new Date() },
      });
      await writeAudit(tx, audit, 'delivery.deferred.retry', message, messageId, deferred);
      return result.count;
    });
  }

  /** A tenant's audit log (what administrators and operators did to its mail by hand), newest first. */
  async auditLog(tenantId: string, page: { limit: number; before?: bigint; domain?: string }): Promise<AuditRow[]> {
    return this.db.auditLog.findMany({
      where: { tenantId, ...(page.domain ? { domain: page.domain } : {}), ...(page.before !== undefined ? { id: { lt: page.before } } : {}) },
      orderBy: { id: 'desc' },
      take: page.limit,
    });
  }

  /** Returns how many rows changed; `claimToken` (when given) must still be the row's. */
  private async writeUpdates(
    tx: Prisma.TransactionClient,
    updates: RecipientUpdate[],
    from: RecipientStateName,
    claimToken?: string | null,
  ): Promise<number> {
    let count = 0;
    for (const u of updates) {
      const result = await tx.recipient.updateMany({
        where: { id: u.id, state: from, ...(claimToken === undefined ? {} : { claimToken }) },
        data: {
          state: u.state,
          reason: u.reason,
          leaseUntil: null,
          claimToken: null,
          ...(u.treatment === undefined ? {} : { treatment: u.treatment }),
          ...(u.nextAttemptAt === undefined ? {} : { nextAttemptAt: u.nextAttemptAt }),
          ...(u.firstFailedAt === undefined ? {} : { firstFailedAt: u.firstFailedAt }),
          ...(u.dsnPending === undefined ? {} : { dsnPending: u.dsnPending }),
          ...(u.reply
            ? {
                lastCode: u.reply.code,
                lastEnhanced: u.reply.enhanced,
                lastText: u.reply.text,
                remoteHost: u.reply.host,
                remoteIp: u.reply.ip,
              }
            : {}),
        },
      });
      count += result.count;
    }
    return count;
  }

  private async writeEvents(tx: Prisma.TransactionClient, events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    await tx.outbox.createMany({
      data: events.map((e) => ({ subject: e.subject, msgId: e.msgId, typeName: e.typeName, payload: Buffer.from(e.payload) })),
      skipDuplicates: true,
    });
  }
}
