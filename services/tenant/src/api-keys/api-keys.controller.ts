import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Internal, Roles, type Principal } from '@torii/auth';
import { ProblemException } from '@torii/http';
import { ApiKeyVerifyDto } from '../auth/auth.dto';
import { ApiKeyCreateDto, type ApiKeyView } from './api-keys.dto';
import { ApiKeysService, toApiKeyView } from './api-keys.service';

@ApiTags('api-keys')
@Controller()
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post('v1/tenants/:tenantId/api-keys')
  @Roles('admin')
  create(@Param('tenantId') tenantId: string, @Body() body: ApiKeyCreateDto, @CurrentPrincipal() actor: Principal): Promise<ApiKeyView & { key: string }> {
    return this.keys.create(tenantId, body.label, actor);
  }

  @Get('v1/tenants/:tenantId/api-keys')
  @Roles('admin')
  async list(@Param('tenantId') tenantId: string): Promise<ApiKeyView[]> {
    return (await this.keys.list(tenantId)).map(toApiKeyView);
  }

  @Delete('v1/tenants/:tenantId/api-keys/:keyId')
  @Roles('admin')
  async revoke(@Param('tenantId') tenantId: string, @Param('keyId') keyId: string, @CurrentPrincipal() actor: Principal): Promise<ApiKeyView> {
    return toApiKeyView(await this.keys.revoke(tenantId, keyId, actor));
  }

  /**
   * For the other services' API-key guard (HttpApiKeyVerifier): answers only with the shared INTERNAL_TOKEN
   * (403 without), and only "who is this key". Keep `/internal/` off the ingress too.
   */
  @Post('internal/v1/api-keys/verify')
  @Internal()
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async verify(@Body() body: ApiKeyVerifyDto): Promise<Omit<Principal, 'via'>> {
    const principal = await this.keys.verify(body.key);
    if (!principal) throw new ProblemException({ status: HttpStatus.UNAUTHORIZED, code: 'unauthenticated', detail: 'unknown or revoked API key' });
    const { via: _via, ...answer } = principal;
    return answer;
  }
}
