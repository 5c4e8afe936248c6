import { Controller, Get, Param, Query } from '@nestjs/common';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { DetectionsPerDayQueryDto, RecentDetectionsQueryDto } from './detections.dto';
import { DetectionsService } from './detections.service';

@Controller('v1/tenants/:tenantId/domains/:domain/virus')
export class DetectionsController {
  constructor(private readonly detections: DetectionsService) {}

  /** Messages scanned per day, by verdict and direction (`from`, `to`: YYYY-MM-DD; default the last 30 days). */
  @Get('detections')
  @Roles('operator', 'admin')
  perDay(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string, @Query() query: DetectionsPerDayQueryDto) {
    return this.detections.perDay(principal, tenantId, domain, query.from, query.to);
  }

  /** The latest infected or unscannable messages, with what was found where. */
  @Get('detections/recent')
  @Roles('operator', 'admin')
  recent(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string, @Query() query: RecentDetectionsQueryDto) {
    return this.detections.recent(principal, tenantId, domain, query.limit);
  }

  /** The effective policy (set through the tenant API `PUT …/policies/virus`). */
  @Get('policy')
  @Roles('operator', 'admin', 'user')
  policy(@CurrentPrincipal() principal: Principal, @Param('tenantId') tenantId: string, @Param('domain') domain: string) {
    return this.detections.policy(principal, tenantId, domain);
  }
}
