import { Injectable, Logger } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { DirectoryStoreRepository } from './directory-store.repository';
import { DirectoryRepository } from './directory.repository';
import { buildSnapshot, isoDay } from './directory.rules';

/**
 * Keeps the KV directory in step with the database. Every change calls `publish()` after its commit; writes
 * of one domain run one after another and each reads the state current at its turn, so the last write is
 * always the newest state.
 */
@Injectable()
export class DirectoryService {
  private readonly logger = new Logger('Directory');
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly facts: DirectoryRepository,
    private readonly store: DirectoryStoreRepository,
  ) {}

  /** Writes the current snapshot of each domain (or deletes it when the domain is gone). */
  async publish(domains: string[], deleted?: { tenantId: string; revision: number }): Promise<void> {
    await Promise.all(domains.map((domain) => this.enqueue(domain, () => this.write(domain, deleted))));
  }

  /** At boot: rewrite every snapshot (repairs a KV that lost entries or missed a change while we were down). */
  async republishAll(domains: string[]): Promise<void> {
    for (const domain of domains) await this.enqueue(domain, () => this.write(domain));
    this.logger.log(`directory: wrote ${domains.length} snapshot(s)`);
  }

  private async write(domain: string, deleted?: { tenantId: string; revision: number }): Promise<void> {
    const facts = await this.facts.facts(domain);
    if (facts) await this.store.put(buildSnapshot(facts, isoDay(new Date())));
    else if (deleted) await this.store.delete(domain, deleted.tenantId, deleted.revision);
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
