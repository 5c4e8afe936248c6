import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { verifySecret } from '@torii/auth';
import { ProblemException } from '@torii/http';
import { TENANT_CONFIG, type TenantConfig } from '../config';
import { UsersRepository } from '../users/users.repository';
import { HashSlots, HashSlotsBusyError } from './hash-slots';
import { LoginThrottleRepository, type ThrottleRule } from './login-throttle.repository';
import { TokensService } from './tokens.service';

// Compared against when the email is unknown, so both cases cost one scrypt (no timing oracle).
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** Forgotten failures are purged at most this often (by whichever replica sees a failure). */
const PURGE_INTERVAL_MS = 60_000;

/** A login refused before its password is checked: 429 (locked) or 503 (too many waiting), with Retry-After. */
export class LoginRefusedException extends ProblemException {
  constructor(
    status: HttpStatus.TOO_MANY_REQUESTS | HttpStatus.SERVICE_UNAVAILABLE,
    readonly retryAfterSeconds: number,
    detail: string,
  ) {
    super({ status, code: status === HttpStatus.TOO_MANY_REQUESTS ? 'login-throttled' : 'login-busy', detail, extensions: { retryAfter: retryAfterSeconds } });
  }
}

const invalidCredentials = () => new ProblemException({ status: HttpStatus.UNAUTHORIZED, code: 'invalid-credentials', detail: 'wrong email or password' });

@Injectable()
export class AuthService {
  private readonly logger = new Logger('Login');
  private readonly slots: HashSlots;
  private readonly pairRule: ThrottleRule;
  private readonly ipRule: ThrottleRule;
  private readonly accountWideRule: ThrottleRule;
  private readonly knownTtlMs: number;
  private readonly knownAddresses: number;
  private lastPurge = 0;

  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: TokensService,
    private readonly throttle: LoginThrottleRepository,
    @Inject(TENANT_CONFIG) config: TenantConfig,
  ) {
    this.slots = new HashSlots(config.LOGIN_CONCURRENCY, config.LOGIN_QUEUE);
    const lock = { windowMs: config.LOGIN_FAILURE_WINDOW, baseMs: config.LOGIN_LOCK_BASE, maxLockMs: config.LOGIN_LOCK_MAX };
    this.pairRule = { ...lock, max: config.LOGIN_MAX_FAILURES };
    this.ipRule = { ...lock, max: config.LOGIN_MAX_FAILURES_PER_IP };
    this.accountWideRule = {
      windowMs: config.LOGIN_FAILURE_WINDOW,
      max: config.LOGIN_ACCOUNT_BACKOFF_AFTER,
      baseMs: config.LOGIN_ACCOUNT_BACKOFF_BASE,
      maxLockMs: config.LOGIN_ACCOUNT_BACKOFF_MAX,
    };
    this.knownTtlMs = config.LOGIN_KNOWN_ADDRESS_TTL;
    this.knownAddresses = config.LOGIN_KNOWN_ADDRESSES;
  }

  /**
   * F4: a login locked by earlier failures is refused (429) before its password is looked at, even a correct
   * one; logins run a few at a time (HashSlots; 503 when the line is full). Three counts, each failure in all:
   * - the account from this address: LOGIN_MAX_FAILURES lock the account for this address only, so that nobody
   *   can lock anyone else out by guessing their password (the owner logs in from elsewhere);
   * - this address, whatever the accounts: LOGIN_MAX_FAILURES_PER_IP lock the address;
   * - the account from every address (guessing spread over many): LOGIN_ACCOUNT_BACKOFF_AFTER start a short,
   *   doubling back-off for every address except those the account logged in from lately (LoginKnownAddress),
   *   so that the owner is not kept out by it either.
   * A success clears the account's count from its address and remembers the address.
   */
  async login(email: string, password: string, ip: string | undefined): Promise<{ token: string; expiresAt: string }> {
    const normalized = email.trim().toLowerCase();
    const pair = `pair:${normalized} ${ip ?? 'unknown'}`;
    const keys = ip === undefined ? [pair] : [pair, `ip:${ip}`];
    const accountWide = { key: `account-wide:${normalized}`, email: normalized, ip, knownTtlMs: this.knownTtlMs };
    let checked: { user: Awaited<ReturnType<UsersRepository['findByEmail']>>; ok: boolean };
    try {
      checked = await this.slots.run(async () => {
        // In the slot, not before it: a flood's every request asking the database at once queued a good login
        // behind hundreds of queries (12 s measured); in line, a full line is refused without a query, and
        // a flood's own failures have locked it by the time its later requests get a slot.
        await this.refuseIfLocked(keys, accountWide);
        const user = await this.users.findByEmail(normalized);
        return { user, ok: await verifySecret(password, user?.passwordHash ?? DUMMY_HASH) };
      });
    } catch (error) {
      if (error instanceof HashSlotsBusyError) {
        this.logger.warn(`login of ${normalized} from ${ip ?? 'an unknown address'} refused: ${error.message}`);
        throw new LoginRefusedException(HttpStatus.SERVICE_UNAVAILABLE, 1, 'Too many logins at once; try again in a moment.');
      }
      throw error;
    }
    const { user, ok } = checked;
    if (!user || !ok) {
      await this.countFailure({ pair, accountWide: accountWide.key, ip, user });
      throw invalidCredentials();
    }
    await this.throttle.clear(pair);
    // Read again after the (slow) password check: a sign-out or password change meanwhile would otherwise give
    // a token that is dead on arrival.
    const now = await this.users.sessionState(user.id);
    if (!now) throw invalidCredentials();
    if (ip !== undefined) {
      await this.throttle
        .rememberAddress(user.id, ip, this.knownAddresses)
        .catch((error: unknown) => this.logger.warn(`remembering ${ip} for ${normalized} failed: ${String(error)}`));
    }
    return this.tokens.issue({ userId: user.id, role: now.role, tenantId: now.tenantId, email: user.email, sessionVersion: now.sessionVersion });
  }

  private async refuseIfLocked(keys: readonly string[], accountWide: Parameters<LoginThrottleRepository['lockedFor']>[1]): Promise<void> {
    const ms = await this.throttle.lockedFor(keys, accountWide);
    if (ms > 0) {
      const seconds = Math.ceil(ms / 1000);
      throw new LoginRefusedException(HttpStatus.TOO_MANY_REQUESTS, seconds, `Too many failed logins; try again in ${seconds} s.`);
    }
  }

  private async countFailure(failed: { pair: string; accountWide: string; ip: string | undefined; user: { email: string; tenantId: string | null } | null }): Promise<void> {
    const { pair, accountWide, ip, user } = failed;
    const from = ip ?? 'an unknown address';
    const [byPair, byAccount, byIp] = await Promise.all([
      this.throttle.recordFailure(pair, this.pairRule),
      this.throttle.recordFailure(accountWide, this.accountWideRule),
      ip === undefined ? undefined : this.throttle.recordFailure(`ip:${ip}`, this.ipRule),
    ]);
    if (byPair.lockedUntil) {
      this.logger.warn(`${pair} locked until ${byPair.lockedUntil.toISOString()} after ${byPair.failures} failed logins`);
      if (user) await this.throttle.auditLock(user, 'user.login-locked', { failures: byPair.failures, lockedUntil: byPair.lockedUntil, ip });
    }
    if (byAccount.lockedUntil) {
      this.logger.warn(`${accountWide} backs off until ${byAccount.lockedUntil.toISOString()} for addresses it has not logged in from, after ${byAccount.failures} failed logins (last from ${from})`);
      if (user) await this.throttle.auditLock(user, 'user.login-backoff', { failures: byAccount.failures, lockedUntil: byAccount.lockedUntil, ip });
    }
    if (byIp?.lockedUntil) this.logger.warn(`ip:${ip} locked until ${byIp.lockedUntil.toISOString()} after ${byIp.failures} failed logins`);
    if (Date.now() - this.lastPurge > PURGE_INTERVAL_MS) {
      this.lastPurge = Date.now();
      await this.throttle.purge(this.pairRule.windowMs, this.knownTtlMs).catch((error: unknown) => this.logger.warn(`purging old login failures failed: ${String(error)}`));
    }
  }
}
