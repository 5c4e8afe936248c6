import type { TrustedProxies } from './ip';

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');
export const JWT_VERIFIER = Symbol('JWT_VERIFIER');

/** What the guards need at request time, resolved from AuthModuleOptions. */
export interface ResolvedAuthOptions {
  trustedProxies: TrustedProxies;
  publicPaths: readonly string[];
  /** What an @Internal() route requires in the X-Torii-Internal-Token header. */
  internalToken: string;
}
