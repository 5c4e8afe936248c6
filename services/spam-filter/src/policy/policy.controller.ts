import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { ApiProblemResponse } from '@torii/http';
import { notFound } from '../problems';
import { AddressPolicyDto, DomainPolicyDto, ListEntryCreateDto, type AddressPolicyView, type DomainPolicyView, type ListEntryView } from './policy.dto';
import { LIST_KINDS, type AddressSettings, type ListKind } from './policy.rules';
import { PolicyService } from './policy.service';

function listKind(value: string): ListKind {
  if (!(LIST_KINDS as readonly string[]).includes(value)) throw notFound(`list ${value}`);
  return value as ListKind;
}

const addressSettings = (body: AddressPolicyDto): AddressSettings => ({
  ...(body.threshold ? { threshold: body.threshold } : {}),
  ...(body.action ? { action: body.action } : {}),
  ...(body.tag ? { tag: body.tag } : {}),
});

/** The domain's own settings and lists: administrators (the audit log: src/audit/). */
@ApiTags('spam policy')
@Roles('admin')
@Controller('v1/tenants/:tenantId/domains/:domain/spam')
export class DomainPolicyController {
  constructor(private readonly policies: PolicyService) {}

  @Get('policy')
  get(@Param('tenantId') tenantId: string, @Param('domain') domain: string): Promise<DomainPolicyView> {
    return this.policies.getDomainPolicy(tenantId, domain);
  }

  @Put('policy')
  set(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Body() body: DomainPolicyDto, @CurrentPrincipal() actor: Principal): Promise<DomainPolicyView> {
    return this.policies.setDomainPolicy(tenantId, domain, body, actor);
  }

  @Delete('policy')
  @ApiOperation({ summary: 'Back to the defaults: removes the domain policy (isDefault: true again); address overrides and lists stay' })
  reset(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @CurrentPrincipal() actor: Principal): Promise<DomainPolicyView> {
    return this.policies.resetDomainPolicy(tenantId, domain, actor);
  }

  @Get('lists/:list')
  list(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Param('list') list: string): Promise<ListEntryView[]> {
    return this.policies.listEntries(tenantId, domain, undefined, listKind(list));
  }

  @Post('lists/:list')
  @ApiProblemResponse(409, 'list-limit-reached (300 address and 300 domain entries per list), entry-exists')
  add(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('list') list: string,
    @Body() body: ListEntryCreateDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<ListEntryView> {
    return this.policies.addEntry(tenantId, domain, undefined, { ...body, list: listKind(list) }, actor);
  }

  @Delete('lists/:list/:id')
  @HttpCode(204)
  remove(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('list') list: string,
    @Param('id') id: string,
    @CurrentPrincipal() actor: Principal,
  ): Promise<void> {
    return this.policies.deleteEntry(tenantId, domain, undefined, listKind(list), id, actor);
  }
}

/** One address's overrides and lists: administrators (any address), users (their own; block list only to edit). */
@ApiTags('spam policy')
@Controller('v1/tenants/:tenantId/domains/:domain/spam/addresses/:address')
export class AddressPolicyController {
  constructor(private readonly policies: PolicyService) {}

  @Get('policy')
  @Roles('admin', 'user')
  get(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Param('address') address: string): Promise<AddressPolicyView> {
    return this.policies.getAddressPolicy(tenantId, domain, address);
  }

  @Put('policy')
  @Roles('admin')
  set(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('address') address: string,
    @Body() body: AddressPolicyDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<AddressPolicyView> {
    return this.policies.setAddressPolicy(tenantId, domain, address, addressSettings(body), actor);
  }

  @Get('lists/:list')
  @Roles('admin', 'user')
  list(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Param('address') address: string, @Param('list') list: string): Promise<ListEntryView[]> {
    return this.policies.listEntries(tenantId, domain, address, listKind(list));
  }

  @Post('lists/:list')
  @Roles('admin', 'user')
  @ApiProblemResponse(403, 'forbidden: a user may only edit their own block list')
  @ApiProblemResponse(409, 'list-limit-reached (300 address and 300 domain entries per list), entry-exists')
  add(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('address') address: string,
    @Param('list') list: string,
    @Body() body: ListEntryCreateDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<ListEntryView> {
    return this.policies.addEntry(tenantId, domain, address, { ...body, list: listKind(list) }, actor);
  }

  @Delete('lists/:list/:id')
  @Roles('admin', 'user')
  @HttpCode(204)
  remove(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('address') address: string,
    @Param('list') list: string,
    @Param('id') id: string,
    @CurrentPrincipal() actor: Principal,
  ): Promise<void> {
    return this.policies.deleteEntry(tenantId, domain, address, listKind(list), id, actor);
  }
}
