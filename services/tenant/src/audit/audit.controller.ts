import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@torii/auth';
import { auditPageQuery, createZodDto } from '@torii/http';
import { z } from 'zod';
import { PrismaService } from '../db/prisma.service';

const page = {
  ...auditPageQuery,
  action: z
    .string()
    .regex(/^[a-z][a-z0-9.-]{0,63}$/, 'an action name, e.g. address.create')
    .optional()
    .describe('only this action, e.g. address.create, server.put, user.login-locked, user.login-backoff'),
  domain: z.string().min(1).max(253).optional().describe('only changes of this domain'),
};
const TenantAuditQuerySchema = z.object(page).strict();
class TenantAuditQueryDto extends createZodDto(TenantAuditQuerySchema) {}
const OperatorAuditQuerySchema = z
  .object({ ...page, tenantId: z.uuid().optional().describe('only this tenant\'s entries; without it every entry, operators\' own included') })
  .strict();
class OperatorAuditQueryDto extends createZodDto(OperatorAuditQuerySchema) {}

export interface AuditEntryView {
  /** Position in the log: pass it as `before` to read on from there. */
  id: string;
  at: string;
  actor: string;
  actorRole: string;
  tenantId: string | null;
  domain: string | null;
  action: string;
  target: string;
  details: unknown;
}

/**
 * Who changed what in the tenant service (tenants, domains, servers, addresses, users, API keys, subscriptions,
 * locked logins): written in the same transaction as each change, read here, newest first. Spam settings and
 * quarantine actions have their own log in spam-filter (`…/spam/audit`), held and retried mail in delivery
 * (`…/messages-audit`).
 */
@ApiTags('audit')
@Controller('v1')
export class AuditController {
  constructor(private readonly db: PrismaService) {}

  @Get('tenants/:tenantId/audit')
  @Roles('admin')
  @ApiOperation({ summary: "The tenant's audit log, newest first; page with `before` = the last entry's id" })
  tenant(@Param('tenantId') tenantId: string, @Query() query: TenantAuditQueryDto): Promise<AuditEntryView[]> {
    return this.list({ ...query, tenantId });
  }

  /** Operators only (no @Roles): every entry, theirs (no tenant) included, or one tenant's. */
  @Get('audit')
  @ApiOperation({ summary: 'Operators: the whole audit log, newest first, or one tenant\'s' })
  all(@Query() query: OperatorAuditQueryDto): Promise<AuditEntryView[]> {
    return this.list(query);
  }

  private async list(query: { limit: number; before?: string; action?: string; domain?: string; tenantId?: string }): Promise<AuditEntryView[]> {
    const rows = await this.db.auditLog.findMany({
      where: {
        ...(query.tenantId ? { tenantId: query.tenantId } : {}),
        ...(query.before ? { id: { lt: BigInt(query.before) } } : {}),
        ...(query.action ? { action: query.action } : {}),
        ...(query.domain ? { domain: query.domain.toLowerCase() } : {}),
      },
      orderBy: { id: 'desc' },
      take: query.limit,
    });
    return rows.map((r) => ({
      id: String(r.id),
      at: r.at.toISOString(),
      actor: r.actor,
      actorRole: r.actorRole,
      tenantId: r.tenantId,
      domain: r.domain,
      action: r.action,
      target: r.target,
      details: r.details,
    }));
  }
}
