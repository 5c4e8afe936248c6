import { Global, Module, type DynamicModule, type InjectionToken, type ModuleMetadata, type Provider, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyVerifier, HttpApiKeyVerifier } from './api-key.verifier';
import { AuthGuard } from './auth.guard';
import type { TrustedProxies } from './ip';
import { resolveInternalToken } from './internal';
import { IpAllowListGuard, IpAllowListSource } from './ip-allow-list.guard';
import { JwtVerifier, type JwksOption } from './jwt';
import { HttpSessionVerifier, SessionVerifier } from './session.verifier';
import { AUTH_OPTIONS, JWT_VERIFIER, type ResolvedAuthOptions } from './tokens';

/** How to obtain an implementation: a class, or a provider without `provide`. */
export type ProviderSpec<T> =
  | Type<T>
  | { useValue: T }
  | { useClass: Type<T> }
  | { useExisting: InjectionToken }
  | { useFactory: (...args: never[]) => T | Promise<T>; inject?: InjectionToken[] };

export interface AuthModuleOptions {
  /** Defaults to the contract's `torii-tenant`. */
  issuer?: string;
  /** Defaults to the contract's `torii`. */
  audience?: string;
  /** `{ url: `${TENANT_URL}/.well-known/jwks.json` }`, or `{ keys }` in the tenant service itself. */
  jwks: JwksOption;
  /** Checks API keys; by default an HttpApiKeyVerifier on `tenantUrl` (no tenantUrl: API keys are refused). */
  apiKeyVerifier?: ProviderSpec<ApiKeyVerifier>;
  /**
   * Checks that a login token's user still exists with the same role and has not signed out since; by default
   * an HttpSessionVerifier on `tenantUrl`. `false`: signature and expiry alone (tests with their own keys).
   */
  sessionVerifier?: ProviderSpec<SessionVerifier> | false;
  tenantUrl?: string;
  /** Per-tenant source ranges for @IpAllowList() routes (ARC9). Required if any route uses it. */
  ipAllowList?: ProviderSpec<IpAllowListSource>;
  /** Whose X-Forwarded-For to believe: false (default), true (all hops), or proxy ranges. */
  trustedProxies?: TrustedProxies;
  /**
   * The shared secret sent to (the API-key and session checks) and required by (@Internal routes) the tenant
   * service's `/internal/*`. Defaults to INTERNAL_TOKEN from the environment, or the development default
   * outside production; with NODE_ENV=production and no real token, forRoot throws (the boot stops).
   */
  internalToken?: string;
  /** Paths served without authentication; defaults to health and metrics. */
  publicPaths?: string[];
  /** Modules the verifier or allow-list source need to be constructed. */
  imports?: ModuleMetadata['imports'];
}

export const DEFAULT_PUBLIC_PATHS = ['/healthz', '/readyz', '/metrics'];

function toProvider<T>(provide: InjectionToken, spec: ProviderSpec<T>): Provider {
  return typeof spec === 'function' ? { provide, useClass: spec } : ({ provide, ...spec } as Provider);
}

/**
 * Authentication and authorization for a service: a global AuthGuard (JWT or API key; @Public, @Roles,
 * tenant and address scoping) and, for @IpAllowList() routes, the source-IP guard.
 */
@Global()
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    const internalToken = options.internalToken ?? resolveInternalToken(process.env);
    const resolved: ResolvedAuthOptions = {
      trustedProxies: options.trustedProxies ?? false,
      publicPaths: options.publicPaths ?? DEFAULT_PUBLIC_PATHS,
      internalToken,
    };
    const jwt = new JwtVerifier({ issuer: options.issuer ?? 'torii-tenant', audience: options.audience ?? 'torii', jwks: options.jwks });
    const providers: Provider[] = [
      { provide: AUTH_OPTIONS, useValue: resolved },
      { provide: JWT_VERIFIER, useValue: jwt },
      { provide: APP_GUARD, useClass: AuthGuard },
    ];
    const exports: InjectionToken[] = [AUTH_OPTIONS, JWT_VERIFIER];
    if (options.apiKeyVerifier) providers.push(toProvider(ApiKeyVerifier, options.apiKeyVerifier));
    else if (options.tenantUrl) providers.push({ provide: ApiKeyVerifier, useValue: new HttpApiKeyVerifier({ tenantUrl: options.tenantUrl, internalToken }) });
    if (options.apiKeyVerifier || options.tenantUrl) exports.push(ApiKeyVerifier);
    if (options.sessionVerifier) providers.push(toProvider(SessionVerifier, options.sessionVerifier));
    else if (options.sessionVerifier === undefined && options.tenantUrl) providers.push({ provide: SessionVerifier, useValue: new HttpSessionVerifier({ tenantUrl: options.tenantUrl, internalToken }) });
    if (options.sessionVerifier || (options.sessionVerifier === undefined && options.tenantUrl)) exports.push(SessionVerifier);
    if (options.ipAllowList) {
      providers.push(toProvider(IpAllowListSource, options.ipAllowList), IpAllowListGuard);
      exports.push(IpAllowListSource, IpAllowListGuard);
    }
    return { module: AuthModule, imports: options.imports ?? [], providers, exports };
  }
}
