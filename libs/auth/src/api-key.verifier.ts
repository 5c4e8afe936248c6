import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AuthUnavailableError } from './errors';
import { DEV_INTERNAL_TOKEN, INTERNAL_TOKEN_HEADER } from './internal';
import { LookupCache } from './lookup-cache';
import { ROLES, type Principal } from './principal';
import { parseApiKey } from './secrets';

/** Turns an API key into a Principal, or null when the key is unknown or revoked. */
export abstract class ApiKeyVerifier {
  abstract verify(key: string): Promise<Principal | null>;
}

export interface HttpApiKeyVerifierOptions {
  /** e.g. http://127.0.0.1:3001 (TENANT_URL). */
  tenantUrl: string;
  /** The shared INTERNAL_TOKEN the tenant service's `/internal/*` routes require (development default if unset). */
  internalToken?: string;
  /** How long a valid key is trusted without asking again (a revocation takes this long to bite). */
  positiveTtlMs?: number;
  /** How long an unknown key is refused without asking again. */
  negativeTtlMs?: number;
  timeoutMs?: number;
  maxEntries?: number;
  now?: () => number;
}

const VerifyResponse = z.object({
  subject: z.string(),
  role: z.enum(ROLES),
  tenantId: z.string().optional(),
  address: z.string().optional(),
});

interface CacheEntry {
  principal: Principal | null;
  expiresAt: number;
}

/**
 * Asks the tenant service (POST /internal/v1/api-keys/verify) and caches the answer, 60 s for a valid key
 * and 10 s for a refused one, keyed by the key's hash so no secret sits in memory longer than a request.
 * Concurrent checks of one key share a request. An unreachable tenant service is an AuthUnavailableError.
 */
export class HttpApiKeyVerifier extends ApiKeyVerifier {
  private readonly cache: LookupCache<CacheEntry>;
  private readonly url: string;
  private readonly now: () => number;

  constructor(private readonly options: HttpApiKeyVerifierOptions) {
    super();
    this.url = new URL('/internal/v1/api-keys/verify', options.tenantUrl).toString();
    this.now = options.now ?? Date.now;
    this.cache = new LookupCache(options.maxEntries);
  }

  async verify(key: string): Promise<Principal | null> {
    if (!parseApiKey(key)) return null;
    const cacheKey = createHash('sha256').update(key).digest('base64url');
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expiresAt > this.now()) return cached.principal;
    return this.cache.shared(cacheKey, async () => {
      const principal = await this.ask(key);
      const ttl = principal ? (this.options.positiveTtlMs ?? 60_000) : (this.options.negativeTtlMs ?? 10_000);
      this.cache.set(cacheKey, { principal, expiresAt: this.now() + ttl });
      return principal;
    });
  }

  private async ask(key: string): Promise<Principal | null> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: this.options.internalToken ?? DEV_INTERNAL_TOKEN },
        body: JSON.stringify({ key }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      throw new AuthUnavailableError(`tenant service unreachable at ${this.url}`, { cause: error });
    }
    if (response.status === 401 || response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      const why = response.status === 403 ? ' (it refused our INTERNAL_TOKEN: every service must share the tenant service’s)' : '';
      throw new AuthUnavailableError(`tenant service answered ${response.status} to an API key check${why}`);
    }
    const parsed = VerifyResponse.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new AuthUnavailableError('tenant service gave a malformed API key answer', { cause: parsed.error });
    const { subject, role, tenantId, address } = parsed.data;
    return { subject, role, ...(tenantId !== undefined && { tenantId }), ...(address !== undefined && { address }), via: 'api-key' };
  }
}
