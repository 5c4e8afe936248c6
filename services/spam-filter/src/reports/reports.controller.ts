import { Controller, Get, Header, Param, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '@torii/auth';
import { AddressReportQueryDto, DomainReportQueryDto } from './reports.dto';
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

@ApiTags('spam reports')
@Controller('v1/tenants/:tenantId/domains/:domain/spam')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('reports.csv')
  @Roles('admin')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  async domain(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Res({ passthrough: true }) res: HeaderResponse,
    @Query() query: DomainReportQueryDto,
  ): Promise<string> {
    return download(res, await this.reports.domainCsv(tenantId, domain, query.period, query.addresses));
  }

  @Get('addresses/:address/reports.csv')
  @Roles('admin', 'user')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  async address(
    @Param('tenantId') tenantId: string,
    @Param('domain') domain: string,
    @Param('address') address: string,
    @Res({ passthrough: true }) res: HeaderResponse,
    @Query() query: AddressReportQueryDto,
  ): Promise<string> {
    return download(res, await this.reports.addressCsv(tenantId, domain, address, query.period));
  }
}
