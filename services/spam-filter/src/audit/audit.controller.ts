import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@torii/auth';
import { auditPageQuery, createZodDto } from '@torii/http';
import { z } from 'zod';
import { SPAM_AUDIT_ACTIONS } from './audit.repository';
import { AuditService, type AuditEntryView } from './audit.service';

const AuditQuerySchema = z.object({
  ...auditPageQuery,
  action: z.enum(SPAM_AUDIT_ACTIONS).optional().describe('only this action, e.g. spam.allow-list.add'),
});
class AuditQueryDto extends createZodDto(AuditQuerySchema) {}

/** Who changed what in the domain's spam settings and quarantine, and who reported what: administrators. */
@ApiTags('spam policy')
@Roles('admin')
@Controller('v1/tenants/:tenantId/domains/:domain/spam/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'The audit log, newest first; page with `before` = the last entry\'s id' })
  list(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Query() query: AuditQueryDto): Promise<AuditEntryView[]> {
    return this.audit.list(tenantId, domain, { limit: query.limit, before: query.before === undefined ? undefined : BigInt(query.before), action: query.action });
  }
}
