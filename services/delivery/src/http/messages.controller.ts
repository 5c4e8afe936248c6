import { Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { DeliveryAuditQueryDto, RecentMessagesQueryDto } from './messages.dto';
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

  /** The latest messages of a domain, newest first (no filter by state: finding held mail reads the list). */
  @Get('tenants/:tenantId/domains/:domain/messages')
  @Roles('operator', 'admin')
  recent(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string, @Query() query: RecentMessagesQueryDto) {
    return this.messages.recent(principal, tenantId, domain, query.limit);
  }

  /**
   * Releases the recipients held for an administrator (a check that did not happen and fails closed, an
   * unscannable message held by policy, an audit hold): they are delivered, with a header saying which check
   * did not happen; spam or virus decisions that came in still apply.
   */
  @Post('tenants/:tenantId/messages/:messageId/release')
  @Roles('operator', 'admin')
  release(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('messageId') messageId: string) {
    return this.messages.release(principal, tenantId, messageId);
  }

  /** Deletes the recipients held for an administrator: never delivered, no DSN. */
  @Delete('tenants/:tenantId/messages/:messageId/held')
  @Roles('operator', 'admin')
  dropHeld(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('messageId') messageId: string) {
    return this.messages.dropHeld(principal, tenantId, messageId);
  }

  /** Operator: try a deferred message now. */
  @Post('messages/:messageId/retry')
  @Roles('operator')
  retry(@CurrentPrincipal() principal: Principal, @Param('messageId') messageId: string) {
    return this.messages.retryNow(principal, messageId);
  }

  /**
   * Who released or deleted held mail, or retried deferred mail, by hand: actor, role, time, message and the
   * recipients changed (with why they were held). Newest first; page with `before` = the last entry's id.
   */
  @Get('tenants/:tenantId/domains/:domain/messages-audit')
  @Roles('operator', 'admin')
  audit(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string, @Query() query: DeliveryAuditQueryDto) {
    return this.messages.audit(principal, tenantId, domain, { limit: query.limit, before: query.before === undefined ? undefined : BigInt(query.before) });
  }
}
