import { Inject, Injectable } from '@nestjs/common';
import { KvDirectoryCache } from '@torii/directory';
import { KvStores } from '@torii/messaging';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';

/** The directory snapshots (see @torii/directory), from this service's configured bucket. */
@Injectable()
export class DirectoryCache extends KvDirectoryCache {
  constructor(kv: KvStores, @Inject(DELIVERY_CONFIG) config: DeliveryConfig) {
    super(kv, config.DIRECTORY_BUCKET);
  }
}
