import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { ApiProblemResponse } from '@torii/http';
import { AddressCreateDto, AddressUpdateDto, type AddressView, type ImportReport } from './addresses.dto';
import { AddressesService, toAddressView } from './addresses.service';

@ApiTags('addresses')
@Roles('admin')
@Controller('v1/tenants/:tenantId/domains/:domain/addresses')
export class AddressesController {
  constructor(private readonly addresses: AddressesService) {}

  @Get()
  list(@Param('tenantId') tenantId: string, @Param('domain') domain: string): Promise<AddressView[]> {
    return this.addresses.list(tenantId, domain);
  }

  @Post()
  @ApiProblemResponse(409, 'address-limit-reached, address-exists')
  @ApiProblemResponse(422, 'invalid-local-part')
  create(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Body() body: AddressCreateDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<AddressView> {
    return this.addresses.create(tenantId, domain, body, actor);
  }

  @Post('import')
  @HttpCode(200)
  @ApiConsumes('text/csv')
  @ApiBody({ description: 'CSV, one `address[,kind]` per line', schema: { type: 'string' } })
  @ApiProblemResponse(409, 'address-limit-reached (nothing imported; the report is in `report`)')
  import(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Body() body: unknown,
    @CurrentPrincipal() actor: Principal,
  ): Promise<ImportReport> {
    return this.addresses.import(tenantId, domain, typeof body === 'string' ? body : '', actor);
  }

  @Get(':address')
  @Roles('admin', 'user')
  async get(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Param('address') address: string): Promise<AddressView> {
    const found = await this.addresses.get(tenantId, domain, address);
    return toAddressView(found.domain.name, found.address);
  }

  @Patch(':address')
  update(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('address') address: string,
    @Body() body: AddressUpdateDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<AddressView> {
    return this.addresses.update(tenantId, domain, address, body.kind, actor);
  }

  @Delete(':address')
  @HttpCode(204)
  async delete(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('address') address: string,
    @CurrentPrincipal() actor: Principal,
  ): Promise<void> {
    await this.addresses.delete(tenantId, domain, address, actor);
  }
}
