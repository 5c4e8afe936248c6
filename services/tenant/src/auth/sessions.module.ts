import { Injectable, Module } from '@nestjs/common';
import { InvalidCredentialsError, SessionVerifier, endedBecause, type Principal } from '@torii/auth';
import { UsersRepository } from '../users/users.repository';

/**
 * The tenant service checks login tokens against its own table, on every request: here a deletion, a role
 * change or a sign-out bites at once. The other services ask `GET /internal/v1/users/{id}/session` and cache.
 */
@Injectable()
export class TenantSessionVerifier extends SessionVerifier {
  constructor(private readonly users: UsersRepository) {
    super();
  }

  async check(principal: Principal, sessionVersion: number): Promise<void> {
    const reason = endedBecause(await this.users.sessionState(principal.subject), principal, sessionVersion);
    if (reason) throw new InvalidCredentialsError(`token of ${principal.subject} no longer stands: ${reason}`);
  }
}

/** Separate so the AuthModule can use it as the service's own session verifier. */
@Module({ providers: [UsersRepository, TenantSessionVerifier], exports: [TenantSessionVerifier] })
export class SessionsModule {}
