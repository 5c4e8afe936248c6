import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { SpoolQueryService } from './spool-query.service';

@Controller('v1')
export class SpoolController {
  constructor(private readonly spool: SpoolQueryService) {}

  /** What is spooled for a domain: count, bytes, oldest, next attempt, last error. */
  @Get('tenants/:tenantId/domains/:domain/spool')
  @Roles('operator', 'admin')
  domain(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string) {
    return this.spool.domain(principal, tenantId, domain);
  }

  /** Try the domain's spooled mail now. */
  @Post('tenants/:tenantId/domains/:domain/spool/flush')
  @HttpCode(202)
  @Roles('operator', 'admin')
  flush(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string) {
    return this.spool.flush(principal, tenantId, domain);
  }

  /** Operator: the whole spool, per domain, with the capacity. */
  @Get('spool')
  @Roles('operator')
  overview() {
    return this.spool.overview();
  }
}
