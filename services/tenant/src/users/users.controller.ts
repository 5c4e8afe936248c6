import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { ApiProblemResponse } from '@torii/http';
import { PasswordChangeDto, UserCreateDto, type UserView } from './users.dto';
import { toUserView, UsersService } from './users.service';

@ApiTags('users')
@Roles('admin')
@Controller('v1/tenants/:tenantId')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('users')
  async list(@Param('tenantId') tenantId: string): Promise<UserView[]> {
    return (await this.users.list(tenantId)).map(toUserView);
  }

  @Post('users')
  @ApiProblemResponse(422, 'address-not-registered, address-not-mailbox, email-not-in-tenant-domains (an admin creating an admin outside the tenant’s domains)')
  @ApiProblemResponse(409, 'email-taken')
  async create(@Param('tenantId') tenantId: string, @Body() body: UserCreateDto, @CurrentPrincipal() actor: Principal): Promise<UserView> {
    return toUserView(await this.users.create(tenantId, body, actor));
  }

  @Delete('users/:userId')
  @HttpCode(204)
  async delete(@Param('tenantId') tenantId: string, @Param('userId') userId: string, @CurrentPrincipal() actor: Principal): Promise<void> {
    await this.users.delete(tenantId, userId, actor);
  }

  @Get('domains/:domain/addresses/:address/user')
  @Roles('admin', 'user')
  async forAddress(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Param('address') address: string): Promise<UserView> {
    return toUserView(await this.users.forAddress(tenantId, domain, address));
  }

  @Put('domains/:domain/addresses/:address/password')
  @Roles('admin', 'user')
  @HttpCode(204)
  @ApiProblemResponse(403, 'wrong-password')
  async changePassword(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('address') address: string,
    @Body() body: PasswordChangeDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<void> {
    await this.users.changePassword(tenantId, domain, address, body, actor);
  }
}
