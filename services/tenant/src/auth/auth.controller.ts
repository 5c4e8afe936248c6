import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Public, Roles, type Principal } from '@torii/auth';
import { ApiProblemResponse } from '@torii/http';
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
  ) {}

  @Post('v1/auth/login')
  @Public()
  @HttpCode(200)
  @ApiProblemResponse(401, 'invalid-credentials')
  login(@Body() body: LoginDto): Promise<{ token: string; expiresAt: string }> {
    return this.auth.login(body.email, body.password);
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
