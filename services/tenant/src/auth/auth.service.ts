import { HttpStatus, Injectable } from '@nestjs/common';
import { verifySecret } from '@torii/auth';
import { ProblemException } from '@torii/http';
import { UsersRepository } from '../users/users.repository';
import { TokensService } from './tokens.service';

// Compared against when the email is unknown, so both cases cost one scrypt (no timing oracle).
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: TokensService,
  ) {}

  async login(email: string, password: string): Promise<{ token: string; expiresAt: string }> {
    const user = await this.users.findByEmail(email.trim().toLowerCase());
    const ok = await verifySecret(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new ProblemException({ status: HttpStatus.UNAUTHORIZED, code: 'invalid-credentials', detail: 'wrong email or password' });
    // Read again after the (slow) password check: a sign-out or password change meanwhile would otherwise give
    // a token that is dead on arrival.
    const now = await this.users.sessionState(user.id);
    if (!now) throw new ProblemException({ status: HttpStatus.UNAUTHORIZED, code: 'invalid-credentials', detail: 'wrong email or password' });
    return this.tokens.issue({ userId: user.id, role: now.role, tenantId: now.tenantId, email: user.email, sessionVersion: now.sessionVersion });
  }
}
