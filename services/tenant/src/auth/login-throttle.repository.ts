import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { recordChange } from '../audit/audit.repository';
import { Prisma, PrismaService } from '../db/prisma.service';

/** How failures turn into locks: `max` failures within `windowMs` lock for `baseMs`, each further one doubles it. */
export interface ThrottleRule {
  max: number;
  windowMs: number;
  baseMs: number;
  maxLockMs: number;
}

export interface FailureOutcome {
  failures: number;
  /** Set when this failure locked the key (the lock's end). */
  lockedUntil: Date | null;
}

const THROTTLE_ACTOR: Pick<Principal, 'subject' | 'role'> = { subject: 'login-throttle', role: 'operator' };

/**
 * Failed logins in Postgres, so that every replica counts and refuses alike (an in-memory counter would give an
 * attacker N replicas times the attempts). All times are the database's `now()`: replicas' clocks do not matter.
 */
@Injectable()
export class LoginThrottleRepository {
  constructor(private readonly db: PrismaService) {}

  /**
   * Milliseconds until the last lock that holds for this login ends, or 0: a lock of any of `keys` (the account
   * from this address, this address), or the back-off of `accountWide` (the account from every address) unless
   * `ip` is one `email`'s user logged in from within `knownTtlMs`.
   */
  async lockedFor(keys: readonly string[], accountWide: { key: string; email: string; ip: string | undefined; knownTtlMs: number }): Promise<number> {
    const rows = await this.db.$queryRaw<{ ms: number | null }[]>`
      SELECT ceil(extract(epoch FROM max(t."lockedUntil") - now()) * 1000)::float8 AS ms
      FROM "LoginThrottle" t WHERE t."lockedUntil" > now() AND (
        t."key" = ANY(${[...keys]}::text[])
        OR (t."key" = ${accountWide.key} AND NOT EXISTS (
          SELECT 1 FROM "LoginKnownAddress" k JOIN "User" u ON u."id" = k."userId"
          WHERE u."email" = ${accountWide.email} AND k."ip" = ${accountWide.ip ?? null}::text
            AND k."lastSuccessAt" > now() - ${accountWide.knownTtlMs} * interval '1 millisecond')))`;
    return Math.max(0, rows[0]?.ms ?? 0);
  }

  /**
   * Remembers that `userId` logged in from `ip` (now), keeping only its `keep` most recent addresses: a later
   * login from there is exempt from the account-wide back-off.
   */
  async rememberAddress(userId: string, ip: string, keep: number): Promise<void> {
    await this.db.$executeRaw`
      INSERT INTO "LoginKnownAddress" ("userId", "ip", "lastSuccessAt") VALUES (${userId}::uuid, ${ip}, now())
      ON CONFLICT ("userId", "ip") DO UPDATE SET "lastSuccessAt" = now()`;
    await this.db.$executeRaw`
      DELETE FROM "LoginKnownAddress" WHERE "userId" = ${userId}::uuid AND "ip" NOT IN (
        SELECT "ip" FROM "LoginKnownAddress" WHERE "userId" = ${userId}::uuid ORDER BY "lastSuccessAt" DESC, "ip" LIMIT ${keep})`;
  }

  /**
   * Counts one failure for `key`, atomically (concurrent failures on two replicas both count): a key quiet for
   * the window starts again at 1. At `max` failures and beyond, the key is locked for baseMs × 2^(failures − max),
   * at most maxLockMs. Attempts refused while locked are not failures: a lock doubles only when the guessing
   * goes on after it.
   */
  async recordFailure(key: string, rule: ThrottleRule): Promise<FailureOutcome> {
    const window = Prisma.sql`now() - ${rule.windowMs} * interval '1 millisecond'`;
    // Every SET expression reads the row as it was: `failures` is the new count, computed twice.
    const failures = Prisma.sql`(CASE WHEN t."lastFailureAt" < ${window} THEN 1 ELSE t."failures" + 1 END)`;
    const lockFor = (n: Prisma.Sql) =>
      Prisma.sql`CASE WHEN ${n} >= ${rule.max}
        THEN now() + LEAST(${rule.baseMs}::float8 * power(2, LEAST(${n} - ${rule.max}, 40)), ${rule.maxLockMs}::float8) * interval '1 millisecond'
        ELSE NULL END`;
    const rows = await this.db.$queryRaw<{ failures: number; lockedUntil: Date | null }[]>`
      INSERT INTO "LoginThrottle" AS t ("key", "failures", "lastFailureAt", "lockedUntil") VALUES (${key}, 1, now(), ${lockFor(Prisma.sql`1`)})
      ON CONFLICT ("key") DO UPDATE SET "failures" = ${failures}, "lastFailureAt" = now(), "lockedUntil" = ${lockFor(failures)}
      RETURNING "failures", "lockedUntil"`;
    const row = rows[0];
    return { failures: row?.failures ?? 1, lockedUntil: row?.lockedUntil ?? null };
  }

  /**
   * A successful login clears the failures of its account from its address (not its IP's: one good account must
   * not unlock an IP; nor the account-wide count: a login must not give guessers from elsewhere a fresh start).
   */
  async clear(key: string): Promise<void> {
    await this.db.loginThrottle.deleteMany({ where: { key } });
  }

  /**
   * Forgets keys quiet for the window and no longer locked (random emails of a spray must not pile up), and
   * addresses not logged in from within `knownTtlMs`.
   */
  async purge(windowMs: number, knownTtlMs: number): Promise<number> {
    const known = await this.db.$executeRaw`
      DELETE FROM "LoginKnownAddress" WHERE "lastSuccessAt" < now() - ${knownTtlMs} * interval '1 millisecond'`;
    const keys = await this.db.$executeRaw`
      DELETE FROM "LoginThrottle" WHERE "lastFailureAt" < now() - ${windowMs} * interval '1 millisecond'
        AND ("lockedUntil" IS NULL OR "lockedUntil" < now())`;
    return known + keys;
  }

  /**
   * A known user's lock in the tenant's audit log: `user.login-locked` (the account from one address, `ip`) or
   * `user.login-backoff` (the account from every address but those it logged in from; `ip` the last failure's).
   */
  async auditLock(
    user: { email: string; tenantId: string | null },
    action: 'user.login-locked' | 'user.login-backoff',
    details: { failures: number; lockedUntil: Date; ip: string | undefined },
  ): Promise<void> {
    await this.db.$transaction((tx) =>
      recordChange(tx, {
        actor: THROTTLE_ACTOR,
        tenantId: user.tenantId,
        action,
        target: user.email,
        details: { failures: details.failures, lockedUntil: details.lockedUntil.toISOString(), ip: details.ip ?? null },
      }),
    );
  }
}
