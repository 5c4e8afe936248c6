import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Internal, Public, Roles, type Principal, type SessionState } from '@torii/auth';
import { ApiProblemResponse, ProblemException } from '@torii/http';
import { UsersRepository } from '../users/users.repository';
import type { JSONWebKeySet } from 'jose';
import { LoginDto } from './auth.dto';
import { AuthService } from './auth.service';
import { TokensService } from './tokens.service';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly tokens: TokensService,
    private readonly users: UsersRepository,
  ) {}

  @Post('v1/auth/login')
  @Public()
  @HttpCode(200)
  @ApiProblemResponse(401, 'invalid-credentials')
  login(@Body() body: LoginDto): Promise<{ token: string; expiresAt: string }> {
    return this.auth.login(body.email, body.password);
  }

  /**
   * Ends every token of the caller, this one included (sign out everywhere). The tenant service refuses them
   * at once, the other services within their session cache time (30 s).
   */
  @Post('v1/auth/logout')
  @Roles('operator', 'admin', 'user')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out everywhere: ends every login token of the caller (API keys are revoked with DELETE …/api-keys/{id})' })
  @ApiProblemResponse(400, 'not-a-login: an API key has no session; revoke it instead')
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (principal.via !== 'jwt') {
      throw new ProblemException({ status: HttpStatus.BAD_REQUEST, code: 'not-a-login', detail: 'An API key has no session to end; revoke the key instead.' });
    }
    await this.users.endSessions(principal.subject, principal);
  }

  /**
   * For the other services' session check (HttpSessionVerifier): answers only with the shared INTERNAL_TOKEN
   * (403 without), and only a user's role, tenant and session version. Keep `/internal/` off the ingress too.
   */
  @Get('internal/v1/users/:userId/session')
  @Internal()
  @ApiExcludeEndpoint()
  async session(@Param('userId') userId: string): Promise<SessionState> {
    const state = /^[0-9a-f-]{36}$/i.test(userId) ? await this.users.sessionState(userId) : null;
    if (!state) throw new ProblemException({ status: HttpStatus.NOT_FOUND, detail: 'no such user' });
    return state;
  }

  @Get('.well-known/jwks.json')
  @Public()
  jwks(): JSONWebKeySet {
    return this.tokens.jwks();
  }

  @Get('v1/me')
  @Roles('admin', 'user')
  me(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }
}
