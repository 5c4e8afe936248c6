import { Controller, Get, Param, Query } from '@nestjs/common';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { DetectionsService } from './detections.service';

@Controller('v1/tenants/:tenantId/domains/:domain/virus')
export class DetectionsController {
  constructor(private readonly detections: DetectionsService) {}

  /** Messages scanned per day, by verdict and direction (`from`, `to`: YYYY-MM-DD; default the last 30 days). */
  @Get('detections')
  @Roles('operator', 'admin')
  perDay(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string, @Query('from') from?: string, @Query('to') to?: string) {
    return this.detections.perDay(principal, tenantId, domain, from, to);
  }

  /** The latest infected or unscannable messages, with what was found where. */
  @Get('detections/recent')
  @Roles('operator', 'admin')
  recent(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string, @Query('limit') limit?: string) {
    return this.detections.recent(principal, tenantId, domain, Number(limit ?? 50) || 50);
  }

  /** The effective policy (set through the tenant API `PUT …/policies/virus`). */
  @Get('policy')
  @Roles('operator', 'admin', 'user')
  policy(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string) {
    return this.detections.policy(principal, tenantId, domain);
  }
}
