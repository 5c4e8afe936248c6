import { Injectable, Logger } from '@nestjs/common';
import { describeError } from '@torii/errors';
import type { Principal } from '@torii/auth';
import { recordChange, type SpamAuditAction } from '../audit/audit.repository';
import { PrismaService, type Prisma, type Tx } from '../db/prisma.service';
import { admit, expiresAt, warnedAfterRemoval, type Admission } from './quarantine.rules';

export interface NewItem {
  tenantId: string;
  domain: string;
  address: string;
  messageId: string;
  sender: string;
  subject: string;
  date: Date;
  scorePercent: number;
  size: number;
  objectKey: string;
}

/** A mail to publish on `mail.submit` (encoded MailSubmit; its object is already stored). */
export interface OutboxRow {
  submitId: string;
  payload: Uint8Array;
}

export interface AdmitHooks {
  /** Stores the box's copy of the message (idempotent); runs under the message's lock. */
  storeCopy(): Promise<void>;
  /** The DSN to the sender when the box is full. */
  refusal(usedBytes: number): Promise<OutboxRow | undefined>;
  /** The 80% warning to the box's owner. */
  warning(usedBytes: number): Promise<OutboxRow>;
}

/** One forward request: who forwards which item where, and the limits in force. */
export interface ForwardRequest {
  tenantId: string;
  actor: string;
  itemId: string;
  to: string;
  now: Date;
  windowMs: number;
  userLimit: number;
  tenantLimit: number;
}

export type ForwardDecision =
  | { kind: 'sent' | 'repeat'; submitId: string }
  | { kind: 'limited'; scope: 'user' | 'tenant'; limit: number; retryAfterSeconds: number };

export type AdmitResult = { kind: 'duplicate' } | { kind: 'refused'; notices: OutboxRow[] } | { kind: 'stored'; id: string; notices: OutboxRow[] };

export interface SearchFilter {
  sender?: string;
  subject?: string;
  from?: Date;
  to?: Date;
  minScore?: number;
  maxScore?: number;
}

export interface Actor {
  principal: Pick<Principal, 'subject' | 'role'>;
  tenantId: string;
  domain: string;
}

/** The quota in force for a box (its own, or the domain's default share). */
export type QuotaOf = (domain: string, box: BoxRow | null) => Promise<number>;

export type ItemRow = Prisma.QuarantineItemGetPayload<object>;
export type BoxRow = Prisma.QuarantineBoxGetPayload<object>;

const TX = { timeout: 60_000, maxWait: 10_000 };

/** The only file touching the quarantine tables. Locks: per address (quota) and per message (shared copy). */
/**
 * Prisma's `contains` becomes `LIKE '%…%'` without escaping, so `%` and `_` in what a user types would be
 * wildcards (`sender=%` matched every item). Escaped with PostgreSQL's default LIKE escape, `\`.
 */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

@Injectable()
export class QuarantineRepository {
  private readonly logger = new Logger(QuarantineRepository.name);

  constructor(private readonly db: PrismaService) {}

  private async lockAddress(tx: Tx, address: string): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`quarantine-box:${address}`}))`;
  }

  private async lockMessage(tx: Tx, messageId: string): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`quarantine-object:${messageId}`}))`;
  }

  private async usedBytes(tx: Tx, address: string): Promise<number> {
    const sum = await tx.quarantineItem.aggregate({ where: { address }, _sum: { size: true } });
    return sum._sum.size ?? 0;
  }

  /**
   * Files one message for one address, or refuses it when the box is full (SPAM11). Idempotent per
   * (message, address): a redelivered event finds the item or the refusal and changes nothing.
   */
  async admit(item: NewItem, quotaBytes: number, hooks: AdmitHooks, now = new Date()): Promise<AdmitResult> {
    return this.db.$transaction(async (tx) => {
      await this.lockAddress(tx, item.address);
      await this.lockMessage(tx, item.messageId);
      const key = { messageId: item.messageId, address: item.address };
      if (await tx.quarantineItem.findUnique({ where: { messageId_address: key } })) return { kind: 'duplicate' as const };
      if (await tx.quarantineRefusal.findUnique({ where: { messageId_address: key } })) return { kind: 'duplicate' as const };
      const box = await tx.quarantineBox.findUnique({ where: { address: item.address } });
      const used = await this.usedBytes(tx, item.address);
      const decision: Admission = admit({ usedBytes: used, size: item.size, quotaBytes, warned: box?.warned ?? false });
      if (decision.kind === 'refuse') {
        await tx.quarantineRefusal.create({ data: key });
        const dsn = await hooks.refusal(used);
        if (dsn) await tx.quarantineOutbox.create({ data: { submitId: dsn.submitId, payload: Buffer.from(dsn.payload) } });
        return { kind: 'refused' as const, notices: dsn ? [dsn] : [] };
      }
      await hooks.storeCopy();
      const created = await tx.quarantineItem.create({
        data: { ...item, quarantinedAt: now, expiresAt: expiresAt(now, box?.retentionDays ?? 14) },
      });
      await tx.quarantineBox.upsert({
        where: { address: item.address },
        create: { address: item.address, domain: item.domain, tenantId: item.tenantId, warned: decision.warned },
        update: { warned: decision.warned },
      });
      const notices: OutboxRow[] = [];
      if (decision.warn) {
        const warning = await hooks.warning(used + item.size);
        await tx.quarantineOutbox.create({ data: { submitId: warning.submitId, payload: Buffer.from(warning.payload) } });
        notices.push(warning);
      }
      return { kind: 'stored' as const, id: created.id, notices };
    }, TX);
  }

  /**
   * Removes items (released, deleted, expired) and then the stored copies no item references any more.
   * Locks in one order everywhere (admit, remove, the sweep): the items' addresses, then their messages, sorted.
   * The items are read first without a lock only to learn which locks to take; what is removed is what the
   * DELETE finds under them (race review 5): an item a concurrent delete, release or sweep removed first is
   * not removed twice, and `notices` (e.g. the release) and the audit are written, in the same transaction,
   * only when at least one item was removed here. Returns the items removed here (none: nothing was written).
   */
  async remove(
    ids: string[],
    deleteObject: (key: string) => Promise<void>,
    quotaOf: QuotaOf,
    options: { notices?: OutboxRow[]; audit?: { actor: Actor; action: SpamAuditAction; target: string; details?: Record<string, unknown> } } = {},
  ): Promise<ItemRow[]> {
    if (ids.length === 0) return [];
    const items = await this.db.$transaction(async (tx) => {
      const removed = await this.deleteLocked(tx, ids);
      if (removed.length === 0) return [];
      await this.rearm(tx, removed, quotaOf);
      for (const n of options.notices ?? []) await tx.quarantineOutbox.create({ data: { submitId: n.submitId, payload: Buffer.from(n.payload) } });
      if (options.audit) await this.audit(tx, options.audit);
      return removed;
    }, TX);
    await this.deleteUnreferenced(items, deleteObject);
    return items;
  }

  /**
   * Expired items, a batch at a time. The candidates are read without row locks and removed like any other
   * removal (address locks, then message locks, then DELETE … RETURNING): a row lock taken first and a message
   * lock after it deadlocked with a release holding the message lock and waiting for the row (race review 6),
   * and the 80% re-arm ran without the address lock an admission takes. Replicas sweeping at once serialise on
   * those locks and the later one finds the rows gone. `found`: the candidates (a full batch: there may be
   * more); `removed`: those removed here.
   */
  async removeExpired(now: Date, limit: number, deleteObject: (key: string) => Promise<void>, quotaOf: QuotaOf): Promise<{ found: number; removed: number }> {
    const rows = await this.db.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM "QuarantineItem" WHERE "expiresAt" <= ${now} ORDER BY "expiresAt", id LIMIT ${limit}`;
    if (rows.length === 0) return { found: 0, removed: 0 };
    const items = await this.db.$transaction(async (tx) => {
      const removed = await this.deleteLocked(tx, rows.map((r) => r.id), now);
      await this.rearm(tx, removed, quotaOf);
      return removed;
    }, TX);
    await this.deleteUnreferenced(items, deleteObject);
    return { found: rows.length, removed: items.length };
  }

  /**
   * Takes the locks of the items `ids` name (read unlocked), then deletes those still there (and, with
   * `expiredAt`, still expired then: a retention raised meanwhile keeps them) and returns the rows deleted.
   */
  private async deleteLocked(tx: Tx, ids: string[], expiredAt?: Date): Promise<ItemRow[]> {
    const seen = await tx.quarantineItem.findMany({ where: { id: { in: ids } }, select: { address: true, messageId: true } });
    if (seen.length === 0) return [];
    for (const address of [...new Set(seen.map((i) => i.address))].sort()) await this.lockAddress(tx, address);
    for (const messageId of [...new Set(seen.map((i) => i.messageId))].sort()) await this.lockMessage(tx, messageId);
    return expiredAt
      ? tx.$queryRaw<ItemRow[]>`DELETE FROM "QuarantineItem" WHERE id = ANY(${ids}::uuid[]) AND "expiresAt" <= ${expiredAt} RETURNING *`
      : tx.$queryRaw<ItemRow[]>`DELETE FROM "QuarantineItem" WHERE id = ANY(${ids}::uuid[]) RETURNING *`;
  }

  /** Whether a notice with this submit id is in the outbox (kept a day after it was published). */
  async hasNotice(submitId: string): Promise<boolean> {
    return (await this.db.quarantineOutbox.findUnique({ where: { submitId }, select: { submitId: true } })) !== null;
  }

  /**
   * Deletes copies once no item references them (removed items', or those the sweep found). Only after the removal committed: a
   * removal rolled back must find its copy. Each copy under its message's lock, as admission takes it, so a
   * copy an admission has just referenced again is kept. A failed delete leaves a copy nobody references
   * (storage, not mail, is lost; logged); the removal itself stands.
   */
  async deleteUnreferenced(copies: readonly Pick<ItemRow, 'objectKey' | 'messageId'>[], deleteObject: (key: string) => Promise<void>): Promise<number> {
    const messageOf = new Map(copies.map((i) => [i.objectKey, i.messageId]));
    let deleted = 0;
    for (const [objectKey, messageId] of messageOf) {
      try {
        await this.db.$transaction(async (tx) => {
          await this.lockMessage(tx, messageId);
          if ((await tx.quarantineItem.count({ where: { objectKey } })) === 0) {
            await deleteObject(objectKey);
            deleted++;
          }
        }, TX);
      } catch (error) {
        // Left for the sweep of unreferenced copies (QuarantineService.sweepCopies).
        this.logger.warn(`quarantine copy ${objectKey} of removed items not deleted (the copy sweep retries): ${describeError(error)}`);
      }
    }
    return deleted;
  }

  /** Which of these copies an item still references. */
  async referencedCopies(keys: readonly string[]): Promise<Set<string>> {
    const rows = await this.db.quarantineItem.findMany({ where: { objectKey: { in: [...keys] } }, select: { objectKey: true }, distinct: ['objectKey'] });
    return new Set(rows.map((r) => r.objectKey));
  }

  async itemsOfDomain(domain: string): Promise<ItemRow[]> {
    return this.db.quarantineItem.findMany({ where: { domain }, orderBy: { quarantinedAt: 'asc' } });
  }

  /** Box settings of the domain's addresses that `gone` names (their items are removed first, see remove). */
  async removeBoxes(domain: string, gone: (address: string) => boolean): Promise<void> {
    const boxes = await this.db.quarantineBox.findMany({ where: { domain }, select: { address: true } });
    const addresses = boxes.map((b) => b.address).filter(gone);
    if (addresses.length) await this.db.quarantineBox.deleteMany({ where: { domain, address: { in: addresses } } });
  }

  /** The box's items of this tenant only: a box left by a domain's earlier tenant is not this one's. */
  async search(tenantId: string, address: string, filter: SearchFilter, page: number, pageSize: number): Promise<{ items: ItemRow[]; total: number }> {
    const where: Prisma.QuarantineItemWhereInput = {
      tenantId,
      address,
      ...(filter.sender ? { sender: { contains: likeLiteral(filter.sender), mode: 'insensitive' } } : {}),
      ...(filter.subject ? { subject: { contains: likeLiteral(filter.subject), mode: 'insensitive' } } : {}),
      ...(filter.from || filter.to ? { quarantinedAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lte: filter.to } : {}) } } : {}),
      ...(filter.minScore !== undefined || filter.maxScore !== undefined
        ? { scorePercent: { ...(filter.minScore !== undefined ? { gte: filter.minScore } : {}), ...(filter.maxScore !== undefined ? { lte: filter.maxScore } : {}) } }
        : {}),
    };
    const [items, total] = await Promise.all([
      this.db.quarantineItem.findMany({ where, orderBy: [{ quarantinedAt: 'desc' }, { id: 'desc' }], skip: (page - 1) * pageSize, take: pageSize }),
      this.db.quarantineItem.count({ where }),
    ]);
    return { items, total };
  }

  item(id: string): Promise<ItemRow | null> {
    return this.db.quarantineItem.findUnique({ where: { id } });
  }

  box(address: string): Promise<BoxRow | null> {
    return this.db.quarantineBox.findUnique({ where: { address } });
  }

  /** The box's use by this tenant's items (as search: a box left by a domain's earlier tenant is not this one's). */
  async boxUsage(tenantId: string, address: string): Promise<{ usedBytes: number; items: number }> {
    const agg = await this.db.quarantineItem.aggregate({ where: { tenantId, address }, _sum: { size: true }, _count: true });
    return { usedBytes: agg._sum.size ?? 0, items: agg._count };
  }

  async domainUsage(tenantId: string, domain: string): Promise<{ address: string; usedBytes: number; items: number }[]> {
    const rows = await this.db.quarantineItem.groupBy({ by: ['address'], where: { tenantId, domain }, _sum: { size: true }, _count: true, orderBy: { address: 'asc' } });
    return rows.map((r) => ({ address: r.address, usedBytes: r._sum.size ?? 0, items: r._count }));
  }

  domainBoxes(domain: string): Promise<BoxRow[]> {
    return this.db.quarantineBox.findMany({ where: { domain }, orderBy: { address: 'asc' } });
  }

  /**
   * Settings of one box; the quota is checked against the others under the domain's lock. Then the address's
   * lock, before any row: a removal (or the sweep) holds it while it deletes items and re-arms the box row, and
   * setBox touching the box row and then those items without it deadlocked with one (review: 40P01).
   */
  async setBox(
    key: { address: string; domain: string; tenantId: string },
    settings: { quotaBytes?: number | null; retentionDays?: number; digestHours?: number | null },
    fits: (otherQuotas: number[]) => boolean,
    actor: Actor,
  ): Promise<BoxRow | null> {
    return this.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`quarantine-domain:${key.domain}`}))`;
      await this.lockAddress(tx, key.address);
      if (settings.quotaBytes !== undefined && settings.quotaBytes !== null) {
        const others = await tx.quarantineBox.findMany({ where: { domain: key.domain, address: { not: key.address }, quotaBytes: { not: null } } });
        if (!fits(others.map((b) => Number(b.quotaBytes)))) return null;
      }
      const data = {
        ...(settings.quotaBytes !== undefined ? { quotaBytes: settings.quotaBytes === null ? null : BigInt(settings.quotaBytes) } : {}),
        ...(settings.retentionDays !== undefined ? { retentionDays: settings.retentionDays } : {}),
        ...(settings.digestHours !== undefined ? { digestHours: settings.digestHours } : {}),
      };
      const box = await tx.quarantineBox.upsert({ where: { address: key.address }, create: { ...key, ...data }, update: data });
      if (settings.retentionDays !== undefined) {
        // SPAM12: the new retention applies to what the box already holds.
        await tx.$executeRaw`UPDATE "QuarantineItem" SET "expiresAt" = "quarantinedAt" + make_interval(days => ${settings.retentionDays}::int) WHERE address = ${key.address}`;
      }
      await this.audit(tx, { actor, action: 'spam.quarantine.settings', target: key.address, details: { ...settings } });
      return box;
    }, TX);
  }

  /** Boxes whose digest is due, claimed (SKIP LOCKED) and stamped; `compose` runs per box in the claim. */
  async claimDueDigests(now: Date, limit: number, compose: (box: BoxRow, tx: QuarantineReader) => Promise<OutboxRow | undefined>): Promise<OutboxRow[]> {
    return this.db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ address: string }[]>`
        SELECT address FROM "QuarantineBox"
        WHERE "digestHours" IS NOT NULL AND "digestHours" > 0
          AND ("lastDigestAt" IS NULL OR "lastDigestAt" + make_interval(hours => "digestHours") <= ${now})
        ORDER BY address LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      return this.digestsFor(tx, rows.map((r) => r.address), now, compose);
    }, TX);
  }

  /** The digest of one box now (a user's or a test's request), whatever its schedule. */
  async digestNow(address: string, now: Date, compose: (box: BoxRow, tx: QuarantineReader) => Promise<OutboxRow | undefined>): Promise<OutboxRow[]> {
    return this.db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT address FROM "QuarantineBox" WHERE address = ${address} FOR UPDATE`;
      return this.digestsFor(tx, [address], now, compose);
    }, TX);
  }

  private async digestsFor(tx: Tx, addresses: string[], now: Date, compose: (box: BoxRow, reader: QuarantineReader) => Promise<OutboxRow | undefined>): Promise<OutboxRow[]> {
    const out: OutboxRow[] = [];
    for (const address of addresses) {
      const box = await tx.quarantineBox.findUnique({ where: { address } });
      if (!box) continue;
      // The box's tenant's items only, as search lists them.
      const reader: QuarantineReader = {
        since: (after, take) =>
          tx.quarantineItem.findMany({
            where: { tenantId: box.tenantId, address, ...(after ? { quarantinedAt: { gt: after } } : {}) },
            orderBy: [{ quarantinedAt: 'desc' }, { id: 'desc' }],
            take,
          }),
        countSince: (after) => tx.quarantineItem.count({ where: { tenantId: box.tenantId, address, ...(after ? { quarantinedAt: { gt: after } } : {}) } }),
      };
      const row = await compose(box, reader);
      if (row) {
        await tx.quarantineOutbox.create({ data: { submitId: row.submitId, payload: Buffer.from(row.payload) } });
        out.push(row);
      }
      await tx.quarantineBox.update({ where: { address }, data: { lastDigestAt: now } });
    }
    return out;
  }

  /** Keeps an infected verdict (redelivered: the first one stands). */
  async recordInfected(messageId: string, tenantId: string, findings: { part: string; filename: string; signature: string }[]): Promise<void> {
    await this.db.infectedMessage.createMany({ data: [{ messageId, tenantId, findings }], skipDuplicates: true });
  }

  /** What virus-scan found in this message of this tenant, when it found it infected. */
  async infected(messageId: string, tenantId: string): Promise<{ part: string; filename: string; signature: string }[] | null> {
    const row = await this.db.infectedMessage.findUnique({ where: { messageId } });
    return row && row.tenantId === tenantId ? (row.findings as { part: string; filename: string; signature: string }[]) : null;
  }

  /** Infected verdicts older than any item can be. */
  async pruneInfected(before: Date): Promise<number> {
    return (await this.db.infectedMessage.deleteMany({ where: { at: { lt: before } } })).count;
  }

  /** Marks a link's id used; false when it was used before (single use). */
  async useToken(jti: string): Promise<boolean> {
    const r = await this.db.quarantineTokenUse.createMany({ data: [{ jti }], skipDuplicates: true });
    return r.count === 1;
  }

  async tokenUsed(jti: string): Promise<boolean> {
    return (await this.db.quarantineTokenUse.findUnique({ where: { jti } })) !== null;
  }

  /**
   * One forward of an item (security review F1), decided under the tenant's lock so replicas count together:
   * the same item to the same address within the window is a `repeat` (the earlier submit id, nothing sent);
   * a user, or the tenant, at its limit within the window is `limited` (seconds until its oldest forward there
   * leaves the window); otherwise `sent`: the forward, its notice (`row`, whose object the caller has already
   * stored) and its audit commit together. Rows older than the window are deleted as it goes.
   * The copy is built and stored before, outside any transaction: a forward held the tenant's lock and a pool
   * connection across the S3 read and write, so one tenant's forwards ran one at a time and, queued on the lock,
   * held the whole pool (review: 12 parallel forwards with 2 s reads made a `SELECT 1` take 5.5 s). On `repeat`
   * or `limited` nothing is written and the caller deletes the copy it stored.
   */
  async forward(f: ForwardRequest, row: OutboxRow, audit: { actor: Actor; action: SpamAuditAction; target: string; details?: Record<string, unknown> }): Promise<ForwardDecision> {
    return this.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`quarantine-forward:${f.tenantId}`}))`;
      await tx.quarantineForward.deleteMany({ where: { tenantId: f.tenantId, at: { lte: new Date(f.now.getTime() - f.windowMs) } } });
      const refused = await this.forwardRefusal(tx, f);
      if (refused) return refused;
      await tx.quarantineForward.create({ data: { tenantId: f.tenantId, actor: f.actor, itemId: f.itemId, to: f.to, submitId: row.submitId, at: f.now } });
      await tx.quarantineOutbox.create({ data: { submitId: row.submitId, payload: Buffer.from(row.payload) } });
      await this.audit(tx, audit);
      return { kind: 'sent' as const, submitId: row.submitId };
    }, TX);
  }

  /**
   * What `forward` would answer short of sending, read without the lock (no transaction): a forward refused or
   * repeated here does no S3 work. Only a hint: `forward` decides again under the lock (a race lets through
   * requests that then find the limit reached, or the repeat, there).
   */
  async forwardPrecheck(f: ForwardRequest): Promise<Exclude<ForwardDecision, { kind: 'sent' }> | undefined> {
    return this.forwardRefusal(this.db, f);
  }

  /** The repeat or the limit a forward meets now (rows within the window only), or undefined. */
  private async forwardRefusal(db: Pick<Tx, 'quarantineForward'>, f: ForwardRequest): Promise<Exclude<ForwardDecision, { kind: 'sent' }> | undefined> {
    const inWindow = { tenantId: f.tenantId, at: { gt: new Date(f.now.getTime() - f.windowMs) } };
    const earlier = await db.quarantineForward.findFirst({ where: { ...inWindow, itemId: f.itemId, to: f.to }, orderBy: { at: 'desc' } });
    if (earlier) return { kind: 'repeat' as const, submitId: earlier.submitId };
    const limited = async (scope: 'user' | 'tenant', limit: number) => {
      const where = { ...inWindow, ...(scope === 'user' ? { actor: f.actor } : {}) };
      if ((await db.quarantineForward.count({ where })) < limit) return undefined;
      // The window frees a place when the oldest forward that fills it ages out.
      const [oldest] = await db.quarantineForward.findMany({ where, orderBy: { at: 'desc' }, skip: limit - 1, take: 1 });
      const freeAt = (oldest?.at.getTime() ?? f.now.getTime()) + f.windowMs;
      return { kind: 'limited' as const, scope, limit, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - f.now.getTime()) / 1000)) };
    };
    return (await limited('user', f.userLimit)) ?? (await limited('tenant', f.tenantLimit));
  }

  async addNotice(row: OutboxRow, audit?: { actor: Actor; action: SpamAuditAction; target: string; details?: Record<string, unknown> }): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.quarantineOutbox.createMany({ data: [{ submitId: row.submitId, payload: Buffer.from(row.payload) }], skipDuplicates: true });
      if (audit) await this.audit(tx, audit);
    });
  }

  async recordAction(audit: { actor: Actor; action: SpamAuditAction; target: string; details?: Record<string, unknown> }): Promise<void> {
    await this.db.$transaction((tx) => this.audit(tx, audit));
  }

  /** Unpublished notices, claimed (SKIP LOCKED), published by `publish`, then stamped. */
  async relay(limit: number, publish: (row: OutboxRow) => Promise<void>): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ submitId: string; payload: Uint8Array }[]>`
        SELECT "submitId", payload FROM "QuarantineOutbox" WHERE "publishedAt" IS NULL ORDER BY "createdAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      for (const row of rows) {
        await publish({ submitId: row.submitId, payload: row.payload });
        await tx.quarantineOutbox.update({ where: { submitId: row.submitId }, data: { publishedAt: new Date() } });
      }
      await tx.quarantineOutbox.deleteMany({ where: { publishedAt: { lt: new Date(Date.now() - 86_400_000) } } });
      return rows.length;
    }, TX);
  }

  /** After items leave boxes: the 80% warning re-arms once a box is back under 80% of its quota. */
  private async rearm(tx: Tx, items: ItemRow[], quotaOf: QuotaOf): Promise<void> {
    for (const item of items.filter((i, n) => items.findIndex((j) => j.address === i.address) === n)) {
      const box = await tx.quarantineBox.findUnique({ where: { address: item.address } });
      if (!box?.warned) continue;
      const quota = await quotaOf(item.domain, box);
      if (!warnedAfterRemoval(await this.usedBytes(tx, item.address), quota, true)) await tx.quarantineBox.update({ where: { address: item.address }, data: { warned: false } });
    }
  }

  private async audit(tx: Tx, a: { actor: Actor; action: SpamAuditAction; target: string; details?: Record<string, unknown> }): Promise<void> {
    await recordChange(tx, { actor: a.actor.principal, tenantId: a.actor.tenantId, domain: a.actor.domain, action: a.action, target: a.target, ...(a.details ? { details: a.details } : {}) });
  }
}

/** What a digest composer may read inside its claim. */
export interface QuarantineReader {
  since(after: Date | null, take: number): Promise<ItemRow[]>;
  countSince(after: Date | null): Promise<number>;
}
