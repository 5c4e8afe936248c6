import { Logger } from '@nestjs/common';
import { z } from 'zod';
import { InvalidCredentialsError } from './errors';
import { DEV_INTERNAL_TOKEN, INTERNAL_TOKEN_HEADER } from './internal';
import { LookupCache } from './lookup-cache';
import { ROLES, type Principal, type Role } from './principal';

/** The user as the tenant service knows them now: what a login token is checked against. */
export interface SessionState {
  role: Role;
  tenantId: string | null;
  sessionVersion: number;
}

/**
 * Why a login token no longer stands, or undefined when it does: its user was deleted, their role or tenant
 * changed since it was issued, or their sessions were ended (a sign-out, a password change) after it was issued.
 */
export function endedBecause(state: SessionState | null, principal: Principal, sessionVersion: number): string | undefined {
  if (!state) return 'the user no longer exists';
  if (state.role !== principal.role) return 'the user’s role changed';
  if ((state.tenantId ?? undefined) !== principal.tenantId) return 'the user’s tenant changed';
  if (state.sessionVersion !== sessionVersion) return 'the user’s sessions were ended (sign-out or password change)';
  return undefined;
}

/**
 * Checks that a signature-valid login token still stands: a JWT lives until it expires (JWT_TTL), so without
 * this a deleted user, or one whose password was changed after a theft, would keep access until then.
 */
export abstract class SessionVerifier {
  /** Throws InvalidCredentialsError when the token's session has ended. */
  abstract check(principal: Principal, sessionVersion: number): Promise<void>;
}

export interface HttpSessionVerifierOptions {
  /** e.g. http://127.0.0.1:3001 (TENANT_URL). */
  tenantUrl: string;
  /** The shared INTERNAL_TOKEN the tenant service's `/internal/*` routes require (development default if unset). */
  internalToken?: string;
  /** How long an answer is used without asking again: a deletion or sign-out takes this long to bite here. */
  ttlMs?: number;
  /** A cached answer that refuses a token is asked again when older than this (1 s). */
  recheckMs?: number;
  timeoutMs?: number;
  maxEntries?: number;
  now?: () => number;
  logger?: Pick<Logger, 'warn'>;
}

const StateResponse = z.object({ role: z.enum(ROLES), tenantId: z.string().nullable(), sessionVersion: z.number().int() });

interface CacheEntry {
  state: SessionState | null;
  fetchedAt: number;
}

/**
 * Asks the tenant service (GET /internal/v1/users/{id}/session) and caches the answer per user for `ttlMs`
 * (30 s), so a service asks at most twice a minute per signed-in user. Concurrent checks of one user share a
 * request.
 *
 * When the tenant service cannot be asked, the last answer is used however old it is, and a user never asked
 * about is let through on the token's signature alone (as before this check existed): the gateway's APIs stay
 * up through a tenant-service outage, and revocation resumes when it is back. Each such pass is logged.
 */
export class HttpSessionVerifier extends SessionVerifier {
  private readonly cache: LookupCache<CacheEntry>;
  private readonly now: () => number;
  private readonly logger: Pick<Logger, 'warn'>;

  constructor(private readonly options: HttpSessionVerifierOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? new Logger('SessionVerifier');
    this.cache = new LookupCache(options.maxEntries);
  }

  async check(principal: Principal, sessionVersion: number): Promise<void> {
    const ttl = this.options.ttlMs ?? 30_000;
    let state = await this.stateOf(principal.subject, ttl);
    if (state === undefined) return; // never known and not askable now: the signature decides
    let reason = endedBecause(state, principal, sessionVersion);
    if (reason) {
      // A refusal read from the cache is asked again before it stands. A token with a newer session version
      // than the cached answer (the login after a sign-out or a password change) proves the answer stale, so
      // it is always asked; any other refusal at most once per `recheckMs`, so replayed dead tokens cannot
      // flood the tenant service.
      const newer = state !== null && sessionVersion > state.sessionVersion;
      state = await this.stateOf(principal.subject, newer ? 0 : (this.options.recheckMs ?? 1_000));
      if (state === undefined) return;
      reason = endedBecause(state, principal, sessionVersion);
      // Still older than the token (the tenant service could not answer, or answered from before the token):
      // the token itself proves the answer stale, so its signature decides, as for a user never asked about.
      if (reason && state !== null && sessionVersion > state.sessionVersion && state.role === principal.role && (state.tenantId ?? undefined) === principal.tenantId) return;
    }
    if (reason) throw new InvalidCredentialsError(`token of ${principal.subject} no longer stands: ${reason}`);
  }

  /** The user's state, from the cache when younger than `maxAgeMs`; undefined when never had and not askable now. */
  private async stateOf(subject: string, maxAgeMs: number): Promise<SessionState | null | undefined> {
    const cached = this.cache.get(subject);
    if (cached && this.now() - cached.fetchedAt < maxAgeMs) return cached.state;
    return this.cache.shared(subject, async () => {
      try {
        const state = await this.ask(subject);
        this.cache.set(subject, { state, fetchedAt: this.now() });
        return state;
      } catch (error) {
        this.logger.warn(
          `cannot check the session of ${subject} (${error instanceof Error ? error.message : String(error)}); ${cached ? 'using the last answer' : 'the token’s signature decides'}`,
        );
        return cached?.state;
      }
    });
  }

  private async ask(subject: string): Promise<SessionState | null> {
    const url = new URL(`/internal/v1/users/${encodeURIComponent(subject)}/session`, this.options.tenantUrl);
    const response = await fetch(url, {
      headers: { [INTERNAL_TOKEN_HEADER]: this.options.internalToken ?? DEV_INTERNAL_TOKEN },
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`tenant service answered ${response.status}${response.status === 403 ? ' (it refused our INTERNAL_TOKEN: every service must share the tenant service’s)' : ''}`);
    }
    const parsed = StateResponse.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new Error('malformed session answer');
    return parsed.data;
  }
}
