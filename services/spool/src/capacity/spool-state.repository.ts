import { Inject, Injectable } from '@nestjs/common';
import { Codecs, SPOOL_STATE_KEY, type SpoolState } from '@torii/contracts';
import { KvStores } from '@torii/messaging';
import { SPOOL_CONFIG, type SpoolConfig } from '../config/spool.config';

/** The SpoolState KV entry the edge watches (SEC4): written by the spool only. */
@Injectable()
export class SpoolStateRepository {
  constructor(
    private readonly kv: KvStores,
    @Inject(SPOOL_CONFIG) private readonly config: SpoolConfig,
  ) {}

  async put(state: SpoolState): Promise<void> {
    const store = await this.kv.open(this.config.SPOOL_STATE_BUCKET, Codecs.spoolState, { create: true });
    await store.put(SPOOL_STATE_KEY, state);
  }
}
