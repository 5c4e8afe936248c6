import { Inject, Injectable } from '@nestjs/common';
import { Codecs, directoryKey, type DomainDirectory } from '@torii/contracts';
import { KvStores } from '@torii/messaging';
import { SPOOL_CONFIG, type SpoolConfig } from '../config/spool.config';

/** Domain snapshots from the `directory` KV bucket: the subscription (schedule) and the tenant's server (probe). */
@Injectable()
export class DirectoryRepository {
  constructor(
    private readonly kv: KvStores,
    @Inject(SPOOL_CONFIG) private readonly config: SpoolConfig,
  ) {}

  async domain(domain: string): Promise<DomainDirectory | undefined> {
    const store = await this.kv.open(this.config.DIRECTORY_BUCKET, Codecs.domainDirectory, { create: true });
    const entry = await store.get(directoryKey(domain));
    // A tombstone (the tenant service's mark of a deleted domain: no domain named) is "no such domain".
    return entry && entry.value.domain !== '' ? entry.value : undefined;
  }
}
