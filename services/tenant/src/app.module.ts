import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditController } from './audit/audit.controller';
import { TenantIdInterceptor } from './tenant-id.interceptor';
import { AuthModule, DEV_INTERNAL_TOKEN } from '@torii/auth';
import { AddressesController } from './addresses/addresses.controller';
import { AddressesRepository } from './addresses/addresses.repository';
import { AddressesService } from './addresses/addresses.service';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { ApiKeysService } from './api-keys/api-keys.service';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { LoginThrottleRepository } from './auth/login-throttle.repository';
import { SessionsModule, TenantSessionVerifier } from './auth/sessions.module';
import { SigningKeysRepository } from './auth/signing-keys.repository';
import { TokensService } from './auth/tokens.service';
import { BootService } from './boot.service';
import type { TenantConfig } from './config';
import { CoreModule, Keyring } from './db/core.module';
import { DirectoryStoreRepository } from './directory/directory-store.repository';
import { DirectoryRepository } from './directory/directory.repository';
import { DirectoryService } from './directory/directory.service';
import { DomainsController } from './domains/domains.controller';
import { DomainsRepository } from './domains/domains.repository';
import { DomainsService } from './domains/domains.service';
import { SeedService } from './seed/seed.service';
import { SubscriptionsController } from './subscriptions/subscriptions.controller';
import { SubscriptionsRepository } from './subscriptions/subscriptions.repository';
import { SubscriptionsService } from './subscriptions/subscriptions.service';
import { TenantsController } from './tenants/tenants.controller';
import { TenantsRepository } from './tenants/tenants.repository';
import { TenantsService } from './tenants/tenants.service';
import { UsersController } from './users/users.controller';
import { UsersRepository } from './users/users.repository';
import { UsersService } from './users/users.service';

@Module({})
export class AppModule {
  static forRoot(config: TenantConfig): DynamicModule {
    const keyring = new Keyring();
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, keyring),
        ApiKeysModule,
        SessionsModule,
        AuthModule.forRoot({
          jwks: { keys: async () => keyring.jwks() },
          apiKeyVerifier: { useExisting: ApiKeysService },
          sessionVerifier: { useExisting: TenantSessionVerifier },
          internalToken: config.INTERNAL_TOKEN ?? DEV_INTERNAL_TOKEN,
          trustedProxies: config.TRUSTED_PROXIES,
          imports: [ApiKeysModule, SessionsModule],
        }),
      ],
      controllers: [AuthController, TenantsController, DomainsController, AddressesController, UsersController, ApiKeysController, SubscriptionsController, AuditController],
      providers: [
        { provide: APP_INTERCEPTOR, useClass: TenantIdInterceptor },
        { provide: DirectoryStoreRepository, useFactory: () => new DirectoryStoreRepository({ natsUrl: config.NATS_URL, bucket: config.DIRECTORY_BUCKET }) },
        DirectoryRepository,
        DirectoryService,
        TenantsRepository,
        TenantsService,
        DomainsRepository,
        DomainsService,
        AddressesRepository,
        AddressesService,
        UsersRepository,
        UsersService,
        SigningKeysRepository,
        TokensService,
        AuthService,
        LoginThrottleRepository,
        SubscriptionsRepository,
        SubscriptionsService,
        SeedService,
        BootService,
      ],
    };
  }
}
