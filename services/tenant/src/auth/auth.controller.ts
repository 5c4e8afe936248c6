import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Internal, Public, Roles, clientIp, type Principal, type SessionState } from '@torii/auth';
import { ApiProblemResponse, ProblemException } from '@torii/http';
import { UsersRepository } from '../users/users.repository';
import type { JSONWebKeySet } from 'jose';
import { TENANT_CONFIG, type TenantConfig } from '../config';
import { LoginDto } from './auth.dto';
import { AuthService, LoginRefusedException } from './auth.service';
import { TokensService } from './tokens.service';

interface LoginRequest {
  headers: Record<string, string | string[] | undefined>;
  socket: { remoteAddress?: string };
}

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly tokens: TokensService,
    private readonly users: UsersRepository,
    @Inject(TENANT_CONFIG) private readonly config: TenantConfig,
  ) {}

  @Post('v1/auth/login')
  @Public()
  @HttpCode(200)
  @ApiProblemResponse(401, 'invalid-credentials')
  @ApiProblemResponse(429, 'login-throttled: too many failed logins of this account from this address, from this address, or of this account from many addresses; see Retry-After')
  @ApiProblemResponse(503, 'login-busy: too many logins at once; see Retry-After')
  async login(@Body() body: LoginDto, @Req() request: LoginRequest, @Res({ passthrough: true }) response: { setHeader(name: string, value: string): unknown }): Promise<{ token: string; expiresAt: string }> {
    const forwarded = request.headers['x-forwarded-for'];
    const ip = clientIp(request.socket.remoteAddress, Array.isArray(forwarded) ? forwarded.join(',') : forwarded, this.config.TRUSTED_PROXIES);
    try {
      return await this.auth.login(body.email, body.password, ip);
    } catch (error) {
      if (error instanceof LoginRefusedException) response.setHeader('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
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
