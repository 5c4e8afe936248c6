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
    return this.tokens.issue({ userId: user.id, role: user.role, tenantId: user.tenantId, email: user.email, sessionVersion: user.sessionVersion });
  }
}
