import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { ApiProblemResponse } from '@torii/http';
import { DomainCreateDto, DomainStatusDto, MailServerDto, PlanChangeDto, PolicyDto, type DomainView } from './domains.dto';
import { DomainsService, toDomainView } from './domains.service';
import type { MailServerRecord } from './domains.repository';

@ApiTags('domains')
@Roles('admin')
@Controller('v1/tenants/:tenantId/domains')
export class DomainsController {
  constructor(private readonly domains: DomainsService) {}

  @Post()
  @ApiProblemResponse(422, 'invalid-domain, idn-not-allowed, operator-domain, invalid-plan-size')
  @ApiProblemResponse(409, 'domain-exists')
  async create(@Param('tenantId') tenantId: string, @Body() body: DomainCreateDto, @CurrentPrincipal() actor: Principal): Promise<DomainView> {
    return toDomainView(await this.domains.create(tenantId, body, actor));
  }

  @Get()
  async list(@Param('tenantId') tenantId: string): Promise<DomainView[]> {
    return (await this.domains.list(tenantId)).map(toDomainView);
  }

  @Get(':domain')
  async get(@Param('tenantId') tenantId: string, @Param('domain') domain: string): Promise<DomainView> {
    return toDomainView(await this.domains.get(tenantId, domain));
  }

  @Delete(':domain')
  @HttpCode(204)
  async delete(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @CurrentPrincipal() actor: Principal): Promise<void> {
    await this.domains.delete(tenantId, domain, actor);
  }

  @Put(':domain/plan')
  @ApiProblemResponse(409, 'plan-too-small')
  async changePlan(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Body() body: PlanChangeDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<DomainView> {
    return toDomainView(await this.domains.changePlan(tenantId, domain, body.planSize, actor));
  }

  /** Suspending is for operators (a contract matter); admins may not. */
  @Put(':domain/status')
  @Roles()
  async setStatus(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Body() body: DomainStatusDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<DomainView> {
    return toDomainView(await this.domains.setStatus(tenantId, domain, body.status, actor));
  }

  /** What a PUT set for the service (`{}` when nothing was); the spam and virus services show the result. */
  @Get(':domain/policies/:service')
  getPolicy(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Param('service') service: string): Promise<{ settings: Record<string, string> }> {
    return this.domains.getPolicy(tenantId, domain, service);
  }

  @Put(':domain/policies/:service')
  @HttpCode(204)
  async setPolicy(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('service') service: string,
    @Body() body: PolicyDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<void> {
    await this.domains.setPolicy(tenantId, domain, service, body.settings, actor);
  }

  @Get(':domain/server')
  getServer(@Param('tenantId') tenantId: string, @Param('domain') domain: string): Promise<MailServerRecord> {
    return this.domains.getServer(tenantId, domain);
  }

  @Put(':domain/server')
  putServer(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Body() body: MailServerDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<MailServerRecord> {
    return this.domains.putServer(tenantId, domain, body, actor);
  }
}
