import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChangeKind, Codecs, type DirectoryChanged, type DomainDirectory } from '@torii/contracts';
import { isTombstone } from '@torii/directory';
import { KvStores } from '@torii/messaging';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';
import { PrismaService } from '../db/prisma.service';
import { DIRECTORY_ACTOR, QuarantineService } from '../quarantine/quarantine.service';
import { recordChange } from '../audit/audit.repository';

/**
 * What an address or a domain leaves behind here goes with it: its policy overrides, its lists, its quarantine
 * box (items, stored copies, settings); for a domain also the domain's policy and lists. Otherwise an address
 * deleted and created again, or a domain that leaves and comes back under another tenant, would find the
 * previous owner's settings and quarantined mail. Report counters stay (the past months' figures are history).
 *
 * Driven by `directory.changed`, and idempotent: it compares with the snapshot in the KV bucket as it is now,
 * not with the event, so a late or repeated event removes nothing that exists.
 */
@Injectable()
export class AddressCleanupService {
  private readonly logger = new Logger(AddressCleanupService.name);

  constructor(
    @Inject(SPAM_FILTER_CONFIG) private readonly config: SpamFilterConfig,
    private readonly kv: KvStores,
    private readonly db: PrismaService,
    private readonly quarantine: QuarantineService,
  ) {}

  async changed(event: DirectoryChanged): Promise<void> {
    const domain = event.domain.toLowerCase();
    const store = await this.kv.open(this.config.DIRECTORY_BUCKET, Codecs.domainDirectory, { create: true });
    const stored = (await store.get(domain))?.value;
    const current = stored && !isTombstone(stored) ? stored : undefined; // a tombstone: the domain is gone
    if (!current && event.kind !== ChangeKind.DELETE) return; // not written yet: nothing to compare with
    await this.reconcile(domain, event.tenantId, current);
  }

  /** Removes what belongs to addresses not in `snapshot` (everything of the domain when there is none). */
  async reconcile(domain: string, tenantId: string, snapshot: DomainDirectory | undefined): Promise<void> {
    const live = new Set((snapshot?.addresses ?? []).map((a) => `${a.localPart.toLowerCase()}@${domain}`));
    const gone = (address: string) => !live.has(address.toLowerCase());
    const policies = await this.db.addressPolicy.findMany({ where: { domain }, select: { address: true } });
    const listed = await this.db.listEntry.findMany({ where: { domain, address: { not: '' } }, select: { address: true }, distinct: ['address'] });
    const addresses = [...new Set([...policies, ...listed].map((r) => r.address).filter(gone))];
    const domainGone = snapshot === undefined;
    if (addresses.length || domainGone) {
      await this.db.$transaction(async (tx) => {
        await tx.addressPolicy.deleteMany({ where: { domain, address: { in: addresses } } });
        await tx.listEntry.deleteMany({ where: { domain, address: { in: addresses } } });
        if (domainGone) {
          await tx.domainPolicy.deleteMany({ where: { domain } });
          await tx.listEntry.deleteMany({ where: { domain } });
        }
        await recordChange(tx, { actor: DIRECTORY_ACTOR, tenantId, domain, action: domainGone ? 'spam.domain.purge' : 'spam.address.purge', target: domain, details: { addresses } });
      });
    }
    const items = await this.quarantine.purgeBoxes(tenantId, domain, domainGone ? () => true : gone);
    if (addresses.length || items || domainGone) {
      this.logger.log(`${domain}: ${domainGone ? 'domain gone' : `${addresses.length} address(es) gone`}; settings and lists removed, ${items} quarantined item(s) removed`);
    }
  }
}
