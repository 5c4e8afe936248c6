import { Controller, Get, Param, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { MessagesService } from './messages.service';

@Controller('v1')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  /** Where each recipient of a message stands. */
  @Get('tenants/:tenantId/messages/:messageId')
  @Roles('operator', 'admin')
  status(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('messageId') messageId: string) {
    return this.messages.status(principal, tenantId, messageId);
  }

  /** The latest messages of a domain, newest first. */
  @Get('tenants/:tenantId/domains/:domain/messages')
  @Roles('operator', 'admin')
  recent(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string, @Query('limit') limit?: string) {
    return this.messages.recent(principal, tenantId, domain, Number(limit ?? 50) || 50);
  }

  /** Operator: try a deferred message now. */
  @Post('messages/:messageId/retry')
  @Roles('operator')
  retry(@Param('messageId') messageId: string) {
    return this.messages.retryNow(messageId);
  }
}
