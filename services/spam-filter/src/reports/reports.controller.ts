import { Controller, Get, Header, Param, Query, Res } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '@torii/auth';
import { ProblemException } from '@torii/http';
import type { ReportPeriod } from './reports.rules';
import { ReportsService, type ReportFile } from './reports.service';

/** The part of Express's response we use (its types are not a dependency). */
interface HeaderResponse {
  setHeader(name: string, value: string): unknown;
}

/** The CSV, saved by a browser under the report's name (`Content-Disposition: attachment; filename=…`). */
function download(res: HeaderResponse, report: ReportFile): string {
  res.setHeader('Content-Disposition', report.disposition);
  return report.csv;
}

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
  async domain(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Res({ passthrough: true }) res: HeaderResponse,
    @Query('period') p?: string,
    @Query('addresses') addresses?: string,
  ): Promise<string> {
    return download(res, await this.reports.domainCsv(tenantId, domain, period(p), addresses === 'true'));
  }

  @Get('addresses/:address/reports.csv')
  @Roles('admin', 'user')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiQuery({ name: 'period', enum: ['previous-month', 'current-month'], required: false })
  async address(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('address') address: string,
    @Res({ passthrough: true }) res: HeaderResponse,
    @Query('period') p?: string,
  ): Promise<string> {
    return download(res, await this.reports.addressCsv(tenantId, domain, address, period(p)));
  }
}
