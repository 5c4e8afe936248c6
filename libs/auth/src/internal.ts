import { timingSafeEqual, createHash } from 'node:crypto';

/**
 * The header that carries the shared internal credential on service-to-service calls to the tenant service's
 * `/internal/*` routes (API-key and session checks). Those routes answer only with it.
 */
export const INTERNAL_TOKEN_HEADER = 'x-torii-internal-token';

/** What `npm start` and the tests use when INTERNAL_TOKEN is unset; refused in production. */
export const DEV_INTERNAL_TOKEN = 'dev-only-internal-token-not-for-production';

/** The shortest INTERNAL_TOKEN accepted in production. */
export const MIN_INTERNAL_TOKEN_LENGTH = 32;

/** Raised at boot for a production environment without a real INTERNAL_TOKEN. */
export class InternalTokenMissingError extends Error {
  constructor(detail: string) {
    super(`INTERNAL_TOKEN: ${detail}`);
    this.name = 'InternalTokenMissingError';
  }
}

/**
 * The internal token a service uses: INTERNAL_TOKEN, or the development default. With NODE_ENV=production a
 * missing, default or short token is refused (the boot stops), as for the other secrets: the `/internal/*`
 * routes would otherwise answer anyone who knows the public default.
 */
export function resolveInternalToken(env: { NODE_ENV?: string; INTERNAL_TOKEN?: string }): string {
  const token = env.INTERNAL_TOKEN?.trim() || undefined;
  if (env.NODE_ENV === 'production') {
    if (!token || token === DEV_INTERNAL_TOKEN) {
      throw new InternalTokenMissingError('set a long random secret shared by every service (NODE_ENV=production refuses the development default)');
    }
    if (token.length < MIN_INTERNAL_TOKEN_LENGTH) throw new InternalTokenMissingError(`at least ${MIN_INTERNAL_TOKEN_LENGTH} characters in production`);
  }
  return token ?? DEV_INTERNAL_TOKEN;
}

/** Whether `presented` is `expected`, in constant time (both hashed first, so their lengths leak nothing). */
export function internalTokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
