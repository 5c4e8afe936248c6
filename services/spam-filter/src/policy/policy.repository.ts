import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { PrismaService, isUniqueViolation } from '../db/prisma.service';
import { listHasRoom } from './list-limits.rules';
import type { AddressSettings, DomainSettings, ListEntry, ListField, ListKind, MatchMode } from './policy.rules';

export interface StoredEntry extends ListEntry {
  address: string;
  createdAt: Date;
  createdBy: string;
}

export interface PolicySnapshot {
  domain: DomainSettings | undefined;
  domainLists: ListEntry[];
  addresses: Map<string, { settings: AddressSettings; lists: ListEntry[] }>;
}

export class ListLimitReachedError extends Error {
  constructor(
    readonly field: ListField,
    readonly limit: number,
  ) {
    super(`the list already holds the maximum number of ${field} entries`);
    this.name = 'ListLimitReachedError';
  }
}

export class DuplicateEntryError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the list already holds this entry', options);
    this.name = 'DuplicateEntryError';
  }
}

type Actor = Pick<Principal, 'subject' | 'role'>;

const toEntry = (row: { id: string; list: string; field: string; match: string; value: string; address: string; createdAt: Date; createdBy: string }): StoredEntry => ({
  id: row.id,
  list: row.list as ListKind,
  field: row.field as ListField,
  match: row.match as MatchMode,
  value: row.value,
  address: row.address,
  createdAt: row.createdAt,
  createdBy: row.createdBy,
});

/** Policies and lists in schema `spam`; every write is audited in the same transaction. */
@Injectable()
export class PolicyRepository {
  constructor(private readonly db: PrismaService) {}

  async domainSettings(domain: string): Promise<DomainSettings | undefined> {
    const row = await this.db.domainPolicy.findUnique({ where: { domain } });
    return row ? { threshold: row.threshold, action: row.action, tag: row.tag, priority: row.priority } as DomainSettings : undefined;
  }

  async addressSettings(domain: string, address: string): Promise<AddressSettings> {
    const row = await this.db.addressPolicy.findUnique({ where: { domain_address: { domain, address } } });
    return row ? (compact({ threshold: row.threshold, action: row.action, tag: row.tag }) as AddressSettings) : {};
  }

  async entries(domain: string, address: string, list?: ListKind): Promise<StoredEntry[]> {
    const rows = await this.db.listEntry.findMany({ where: { domain, address, ...(list ? { list } : {}) }, orderBy: { createdAt: 'asc' } });
    return rows.map(toEntry);
  }

  /** Everything the policy needs for one message: the domain and the given addresses, in three queries. */
  async snapshot(domain: string, addresses: string[]): Promise<PolicySnapshot> {
    const [domainRow, addressRows, entryRows] = await Promise.all([
      this.db.domainPolicy.findUnique({ where: { domain } }),
      this.db.addressPolicy.findMany({ where: { domain, address: { in: addresses } } }),
      this.db.listEntry.findMany({ where: { domain, address: { in: ['', ...addresses] } }, orderBy: { createdAt: 'asc' } }),
    ]);
    const result: PolicySnapshot = {
      domain: domainRow ? ({ threshold: domainRow.threshold, action: domainRow.action, tag: domainRow.tag, priority: domainRow.priority } as DomainSettings) : undefined,
      domainLists: entryRows.filter((e) => e.address === '').map(toEntry),
      addresses: new Map(),
    };
    for (const address of addresses) {
      const row = addressRows.find((r) => r.address === address);
      result.addresses.set(address, {
        settings: row ? (compact({ threshold: row.threshold, action: row.action, tag: row.tag }) as AddressSettings) : {},
        lists: entryRows.filter((e) => e.address === address).map(toEntry),
      });
    }
    return result;
  }

  async putDomainSettings(tenantId: string, domain: string, settings: DomainSettings, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.domainPolicy.upsert({
        where: { domain },
        create: { domain, tenantId, ...settings, updatedBy: actor.subject },
        update: { ...settings, updatedBy: actor.subject },
      });
      await recordChange(tx, { actor, tenantId, domain, action: 'spam.domain-policy.set', target: domain, details: { ...settings } });
    });
  }

  /** Back to the defaults: the domain's own policy row goes (isDefault again). False when there was none. */
  async resetDomainSettings(tenantId: string, domain: string, actor: Actor): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      const row = await tx.domainPolicy.findUnique({ where: { domain } });
      // deleteMany: a reset running at the same time may have removed it first (then that one is audited).
      if (!row || (await tx.domainPolicy.deleteMany({ where: { domain } })).count === 0) return false;
      // What was dropped, so the log shows what the domain had before the defaults.
      const dropped = { threshold: row.threshold, action: row.action, tag: row.tag, priority: row.priority };
      await recordChange(tx, { actor, tenantId, domain, action: 'spam.domain-policy.reset', target: domain, details: { dropped } });
      return true;
    });
  }

  async putAddressSettings(tenantId: string, domain: string, address: string, settings: AddressSettings, actor: Actor): Promise<void> {
    const data = { threshold: settings.threshold ?? null, action: settings.action ?? null, tag: settings.tag ?? null };
    await this.db.$transaction(async (tx) => {
      await tx.addressPolicy.upsert({
        where: { domain_address: { domain, address } },
        create: { domain, address, tenantId, ...data, updatedBy: actor.subject },
        update: { ...data, updatedBy: actor.subject },
      });
      await recordChange(tx, { actor, tenantId, domain, action: 'spam.address-policy.set', target: address, details: data });
    });
  }

  /**
   * Adds an entry unless the list is full for its field. The count and the insert are serialised per list
   * with a transaction-scoped advisory lock, so two concurrent adds cannot both take the 300th place.
   */
  async addEntry(
    tenantId: string,
    domain: string,
    address: string,
    entry: Omit<ListEntry, 'id'>,
    actor: Actor,
  ): Promise<StoredEntry> {
    try {
      return await this.db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`spam-list:${domain}:${address}:${entry.list}`}))`;
        const count = await tx.listEntry.count({ where: { domain, address, list: entry.list, field: entry.field } });
        if (!listHasRoom(entry.field, count)) throw new ListLimitReachedError(entry.field, count);
        const row = await tx.listEntry.create({ data: { tenantId, domain, address, ...entry, createdBy: actor.subject } });
        await recordChange(tx, {
          actor,
          tenantId,
          domain,
          action: `spam.${entry.list}-list.add`,
          target: address || domain,
          details: { id: row.id, field: entry.field, match: entry.match, value: entry.value },
        });
        return toEntry(row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateEntryError({ cause: error });
      throw error;
    }
  }

  /** Deletes an entry of that list; false when there is none with that id. */
  async deleteEntry(tenantId: string, domain: string, address: string, list: ListKind, id: string, actor: Actor): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      const row = await tx.listEntry.findFirst({ where: { id, domain, address, list } });
      if (!row) return false;
      await tx.listEntry.delete({ where: { id } });
      await recordChange(tx, {
        actor,
        tenantId,
        domain,
        action: `spam.${list}-list.remove`,
        target: address || domain,
        details: { id, field: row.field, match: row.match, value: row.value },
      });
      return true;
    });
  }
}

function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}
