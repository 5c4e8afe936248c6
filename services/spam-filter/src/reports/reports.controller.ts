import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '@torii/auth';
import { ProblemException } from '@torii/http';
import type { ReportPeriod } from './reports.rules';
import { ReportsService } from './reports.service';

function period(value: string | undefined): ReportPeriod {
  if (value === undefined || value === 'previous-month' || value === 'current-month') return value ?? 'previous-month';
  throw new ProblemException({ status: 400, code: 'bad-period', detail: 'period is previous-month or current-month' });
}

@ApiTags('spam reports')
@Controller('v1/tenants/:tenantId/domains/:domain/spam')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('reports.csv')
  @Roles('admin')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiQuery({ name: 'period', enum: ['previous-month', 'current-month'], required: false })
  @ApiQuery({ name: 'addresses', description: '"true": add each address with mail after the domain lines', required: false })
  domain(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Query('period') p?: string, @Query('addresses') addresses?: string): Promise<string> {
    return this.reports.domainCsv(tenantId, domain, period(p), addresses === 'true');
  }

  @Get('addresses/:address/reports.csv')
  @Roles('admin', 'user')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiQuery({ name: 'period', enum: ['previous-month', 'current-month'], required: false })
  address(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Param('address') address: string, @Query('period') p?: string): Promise<string> {
    return this.reports.addressCsv(tenantId, domain, address, period(p));
  }
}
