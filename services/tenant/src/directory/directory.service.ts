import { Injectable, Logger } from '@nestjs/common';
import { ChangeKind, equals, DomainDirectorySchema } from '@torii/contracts';
import { describeError } from '@torii/errors';
import { DirectoryStoreRepository, type StoredSnapshot } from './directory-store.repository';
import { DirectoryRepository } from './directory.repository';
import { buildSnapshot, isoDay } from './directory.rules';

/** Compare-and-set rounds lost in a row before a write gives up (each loss is another replica's write). */
const MAX_ATTEMPTS = 10;

/**
 * Keeps the KV directory in step with the database. Every change calls `publish()` after its commit. Each write
 * reads the KV entry, then the domain's facts, and stores the snapshot only if the entry is still the one it
 * read (compare-and-set); otherwise it reads both again. Whatever wrote the entry had read a database state at
 * least as new as that entry, and we read the database after it, so a replica that stalls between its read and
 * its write (GC pause, reconnect) can no longer put an older snapshot over a newer one, nor over a delete.
 * Within one process, writes of one domain also run one after another.
 */
@Injectable()
export class DirectoryService {
  private readonly logger = new Logger('Directory');
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly facts: DirectoryRepository,
    private readonly store: DirectoryStoreRepository,
  ) {}

  /** Writes the current snapshot of each domain (or its tombstone when the domain is gone). */
  async publish(domains: string[], deleted?: { tenantId: string; revision: number }): Promise<void> {
    await Promise.all(domains.map((domain) => this.enqueue(domain, () => this.write(domain, deleted))));
  }

  /**
   * At boot: rewrite every snapshot (repairs a KV that lost entries or missed a change while we were down).
   * Only the database's domains: it never brings back a deleted one, and it removes nothing it does not know.
   */
  async republishAll(domains: string[]): Promise<void> {
    for (const domain of domains) await this.enqueue(domain, () => this.write(domain));
    this.logger.log(`directory: wrote ${domains.length} snapshot(s)`);
    // In the background: listing the bucket does not hold up the boot.
    void this.reportUnknown(new Set(domains)).catch((error: unknown) => this.logger.warn(`directory: bucket not listed: ${describeError(error)}`));
  }

  /**
   * Snapshots of domains the database does not have: deleted domains an earlier release wrote back (a replica's
   * late write after the delete), or a database restored from a backup. Only reported: removing them on the
   * database's word would also empty the directory of a tenant pointed at the wrong (or an empty) database.
   */
  async reportUnknown(known: ReadonlySet<string>): Promise<string[]> {
    const unknown: string[] = [];
    for (const domain of await this.store.keys()) {
      if (known.has(domain)) continue;
      const stored = await this.store.read(domain);
      // The database asked again: a domain created since `known` was read is not unknown.
      if (stored && !stored.tombstone && !(await this.facts.facts(domain))) unknown.push(domain);
    }
    if (unknown.length) {
      this.logger.warn(
        `directory: ${unknown.length} snapshot(s) in the KV for domains not in the database (still served): ${unknown.slice(0, 50).join(', ')}` +
          `${unknown.length > 50 ? ', …' : ''}; see docs/architecture.md, "The directory"`,
      );
    }
    return unknown;
  }

  private async write(domain: string, deleted?: { tenantId: string; revision: number }): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      // The entry first, the facts second: the order is what makes the compare-and-set sufficient.
      const stored = await this.store.read(domain);
      const facts = await this.facts.facts(domain);
      if (facts ? await this.putSnapshot(buildSnapshot(facts, isoDay(new Date())), stored) : await this.putTombstone(domain, stored, deleted)) return;
    }
    throw new Error(`${MAX_ATTEMPTS} writes in a row lost to other replicas' writes`);
  }

  /** False when another write came between our read and ours. */
  private async putSnapshot(snapshot: ReturnType<typeof buildSnapshot>, stored: StoredSnapshot | null): Promise<boolean> {
    if (stored && !stored.tombstone) {
      if (stored.revision > snapshot.revision) {
        // Read after the entry, the database cannot be older than it, unless it went back (restored from a
        // backup): keep the newer entry, as the KV's revisions never go back (docs/architecture.md).
        this.logger.warn(
          `directory: ${snapshot.domain} not written: the KV holds revision ${stored.revision}, newer than the database's ${snapshot.revision}`,
        );
        return true;
      }
      // Same revision: the same rows; the content can still differ by the day (a subscription that started or
      // ended). Nothing changed: only announce it again (idempotent; an earlier notice may have been lost).
      if (stored.revision === snapshot.revision && equals(DomainDirectorySchema, { ...stored.value, updatedAt: undefined }, this.store.toMessage(snapshot))) {
        await this.store.announce(snapshot.domain, snapshot.tenantId, snapshot.revision, ChangeKind.UPSERT);
        return true;
      }
    }
    // Over a tombstone: read after it, the domain exists, so it was created again since that delete.
    return this.store.put(snapshot, stored);
  }

  /** The domain is not in the database: make sure the KV says so too. */
  private async putTombstone(domain: string, stored: StoredSnapshot | null, deleted?: { tenantId: string; revision: number }): Promise<boolean> {
    if (stored?.tombstone) return true;
    if (!stored && !deleted) return true; // never published, nothing to remove
    // Above whatever the entry held, so even a writer that compares revisions only refuses the old snapshot.
    const revision = Math.max(deleted?.revision ?? 0, stored ? stored.revision + 1 : 0);
    return this.store.tombstone(domain, deleted?.tenantId ?? stored?.tenantId ?? '', revision, stored);
  }

  private enqueue(domain: string, task: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(domain) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch((error: unknown) => {
      // The change is committed; the snapshot catches up on the next change or at the next boot.
      this.logger.error(`directory: snapshot of ${domain} not written: ${describeError(error)}`);
    });
    this.queues.set(domain, settled);
    void settled.then(() => {
      if (this.queues.get(domain) === settled) this.queues.delete(domain);
    });
    return settled;
  }
}
