import { Inject, Injectable } from '@nestjs/common';
import { KvDirectoryCache } from '@torii/directory';
import { KvStores } from '@torii/messaging';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';

/** The directory snapshots (see @torii/directory), from this service's configured bucket. */
@Injectable()
export class DirectoryCache extends KvDirectoryCache {
  constructor(kv: KvStores, @Inject(SPAM_FILTER_CONFIG) config: SpamFilterConfig) {
    super(kv, config.DIRECTORY_BUCKET);
  }
}
