import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { TENANT_CONFIG, type TenantConfig } from './config';
import { DirectoryStoreRepository } from './directory/directory-store.repository';
import { DirectoryService } from './directory/directory.service';
import { DomainsRepository } from './domains/domains.repository';
import { SeedService } from './seed/seed.service';

/** At boot: open the directory, apply the seed file if any, rewrite every snapshot. */
@Injectable()
export class BootService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Boot');

  constructor(
    @Inject(TENANT_CONFIG) private readonly config: TenantConfig,
    private readonly store: DirectoryStoreRepository,
    private readonly directory: DirectoryService,
    private readonly domains: DomainsRepository,
    private readonly seed: SeedService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.store.open();
    if (this.config.TORII_SEED) {
      await this.seed.applyFile(this.config.TORII_SEED);
      this.logger.log(`seed ${this.config.TORII_SEED} applied`);
    }
    if (this.config.REPUBLISH_ON_BOOT) await this.directory.republishAll(await this.domains.allNames());
  }
}
