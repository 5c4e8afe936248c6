import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { ApiProblemResponse } from '@torii/http';
import type { UserView } from '../users/users.dto';
import { toUserView, UsersService } from '../users/users.service';
import { AdminCreateDto, TenantCreateDto, TenantUpdateDto, type TenantView } from './tenants.dto';
import { TenantsService, toTenantView } from './tenants.service';

/** Operators manage tenants (no @Roles: operators only), admins may read their own. */
@ApiTags('tenants')
@Controller('v1/tenants')
export class TenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
  ) {}

  @Post()
  @ApiProblemResponse(409, 'tenant-exists')
  async create(@Body() body: TenantCreateDto, @CurrentPrincipal() actor: Principal): Promise<TenantView> {
    return toTenantView(await this.tenants.create(body.name, actor));
  }

  @Get()
  async list(): Promise<TenantView[]> {
    return (await this.tenants.list()).map(toTenantView);
  }

  @Get(':tenantId')
  @Roles('admin')
  async get(@Param('tenantId') tenantId: string): Promise<TenantView> {
    return toTenantView(await this.tenants.get(tenantId));
  }

  @Patch(':tenantId')
  async update(@Param('tenantId') tenantId: string, @Body() body: TenantUpdateDto, @CurrentPrincipal() actor: Principal): Promise<TenantView> {
    return toTenantView(await this.tenants.update(tenantId, body, actor));
  }

  @Delete(':tenantId')
  @HttpCode(204)
  @ApiProblemResponse(409, 'tenant-has-domains')
  async delete(@Param('tenantId') tenantId: string, @CurrentPrincipal() actor: Principal): Promise<void> {
    await this.tenants.delete(tenantId, actor);
  }

  @Post(':tenantId/admins')
  @ApiProblemResponse(409, 'email-taken')
  async createAdmin(@Param('tenantId') tenantId: string, @Body() body: AdminCreateDto, @CurrentPrincipal() actor: Principal): Promise<UserView> {
    await this.tenants.get(tenantId);
    return toUserView(await this.users.create(tenantId, { ...body, role: 'admin' }, actor));
  }
}
