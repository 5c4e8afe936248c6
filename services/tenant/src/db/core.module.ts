import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { JSONWebKeySet } from 'jose';
import { TENANT_CONFIG, type TenantConfig } from '../config';
import { PrismaService } from './prisma.service';

/** The public keys the service's own AuthGuard verifies with; TokensService fills it at boot. */
export class Keyring {
  private current: JSONWebKeySet = { keys: [] };
  set(jwks: JSONWebKeySet): void {
    this.current = jwks;
  }
  jwks(): JSONWebKeySet {
    return this.current;
  }
}

/** Configuration, the database client and the keyring, for every module of the service. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: TenantConfig, keyring: Keyring): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: TENANT_CONFIG, useValue: config },
        { provide: PrismaService, useFactory: () => new PrismaService(config.DATABASE_URL) },
        { provide: Keyring, useValue: keyring },
      ],
      exports: [TENANT_CONFIG, PrismaService, Keyring],
    };
  }
}
