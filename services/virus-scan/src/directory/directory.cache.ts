import { Inject, Injectable } from '@nestjs/common';
import { KvDirectoryCache } from '@torii/directory';
import { KvStores } from '@torii/messaging';
import { VIRUS_SCAN_CONFIG, type VirusScanConfig } from '../config/virus-scan.config';

/** The directory snapshots (see @torii/directory), from this service's configured bucket. */
@Injectable()
export class DirectoryCache extends KvDirectoryCache {
  constructor(kv: KvStores, @Inject(VIRUS_SCAN_CONFIG) config: VirusScanConfig) {
    super(kv, config.DIRECTORY_BUCKET);
  }
}
