import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { ApiProblemResponse } from '@torii/http';
import { SubscriptionCreateDto, SubscriptionUpdateDto } from './subscriptions.dto';
import type { SubscriptionRecord } from './subscriptions.repository';
import { SubscriptionsService } from './subscriptions.service';

@ApiTags('subscriptions')
@Roles('admin')
@Controller('v1/tenants/:tenantId/domains/:domain/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Get()
  list(@Param('tenantId') tenantId: string, @Param('domain') domain: string): Promise<SubscriptionRecord[]> {
    return this.subscriptions.list(tenantId, domain);
  }

  @Post()
  @ApiProblemResponse(409, 'already-subscribed')
  @ApiProblemResponse(422, 'invalid-capacity-option')
  add(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Body() body: SubscriptionCreateDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<SubscriptionRecord> {
    return this.subscriptions.add(tenantId, domain, body, actor);
  }

  /** Cancel (`endsOn`) or change capacity options. */
  @Patch(':subscriptionId')
  @ApiProblemResponse(422, 'invalid-capacity-option, invalid-end-date')
  update(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('subscriptionId') id: string,
    @Body() body: SubscriptionUpdateDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<SubscriptionRecord> {
    return this.subscriptions.update(tenantId, domain, id, body, actor);
  }
}
