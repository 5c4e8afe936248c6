import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Put, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { ApiProblemResponse, ProblemException } from '@torii/http';
import { forbiddenProblem } from '../problems';
import { BoxSettingsDto, ForwardDto, ReleaseQueryDto, SearchQueryDto } from './quarantine.dto';
import { QuarantineJobs } from './quarantine.jobs';
import { QuarantineService } from './quarantine.service';

/** Capacity use of a domain (SPAM11): administrators. */
@ApiTags('quarantine')
@Roles('admin')
@Controller('v1/tenants/:tenantId/domains/:domain/spam/quarantine')
export class QuarantineDomainController {
  constructor(private readonly quarantine: QuarantineService) {}

  @Get('usage')
  usage(@Param('tenantId') tenantId: string, @Param('domain') domain: string) {
    return this.quarantine.usage(tenantId, domain);
  }
}

/** One box (SPAM10–13): administrators (any address of the domain), users (their own); otherwise 404. */
@ApiTags('quarantine')
@Roles('admin', 'user')
@Controller('v1/tenants/:tenantId/domains/:domain/spam/quarantine/addresses/:address')
export class QuarantineBoxController {
  constructor(
    private readonly quarantine: QuarantineService,
    private readonly jobs: QuarantineJobs,
  ) {}

  @Get()
  settings(@Param('tenantId') t: string, @Param('domain') d: string, @Param('address') a: string) {
    return this.quarantine.settings(t, d, a);
  }

  @Put()
  @ApiProblemResponse(403, 'a user may only change the digest schedule')
  @ApiProblemResponse(422, 'capacity-exceeded: the quotas would exceed the domain capacity')
  setSettings(@Param('tenantId') t: string, @Param('domain') d: string, @Param('address') a: string, @Body() body: BoxSettingsDto, @CurrentPrincipal() actor: Principal) {
    if (actor.role === 'user' && (body.quotaBytes !== undefined || body.retentionDays !== undefined)) throw forbiddenProblem('a user may only change the digest schedule');
    return this.quarantine.setSettings(t, d, a, body, actor);
  }

  @Get('items')
  search(@Param('tenantId') t: string, @Param('domain') d: string, @Param('address') a: string, @Query() q: SearchQueryDto) {
    return this.quarantine.search(
      t,
      d,
      a,
      {
        ...(q.sender ? { sender: q.sender } : {}),
        ...(q.subject ? { subject: q.subject.normalize('NFKC') } : {}),
        ...(q.from ? { from: new Date(q.from) } : {}),
        ...(q.to ? { to: new Date(q.to) } : {}),
        ...(q.minScore !== undefined ? { minScore: q.minScore } : {}),
        ...(q.maxScore !== undefined ? { maxScore: q.maxScore } : {}),
      },
      q.page,
      q.pageSize,
    );
  }

  @Get('items/:id')
  view(@Param('tenantId') t: string, @Param('domain') d: string, @Param('address') a: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal) {
    return this.quarantine.view(t, d, a, id, actor);
  }

  @Get('items/:id/eml')
  @Header('Content-Type', 'message/rfc822')
  async download(@Param('tenantId') t: string, @Param('domain') d: string, @Param('address') a: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal) {
    const { item, raw } = await this.quarantine.download(t, d, a, id, actor);
    return new StreamableFile(raw, { type: 'message/rfc822', disposition: `attachment; filename="${item.id}.eml"` });
  }

  @Delete('items/:id')
  @HttpCode(204)
  remove(@Param('tenantId') t: string, @Param('domain') d: string, @Param('address') a: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal) {
    return this.quarantine.delete(t, d, a, id, actor);
  }

  @Post('items/:id/release')
  @HttpCode(202)
  @ApiQuery({ name: 'report', required: false, enum: ['false-positive'], description: 'also report the message as wrongly flagged (SPAM14), before it leaves the box' })
  async release(@Param('tenantId') t: string, @Param('domain') d: string, @Param('address') a: string, @Param('id') id: string, @Query() query: ReleaseQueryDto, @CurrentPrincipal() actor: Principal) {
    const result = query.report ? await this.quarantine.releaseAndReport(t, d, a, id, actor) : await this.quarantine.release(t, d, a, id, actor);
    await this.jobs.relay();
    return result;
  }

  @Post('items/:id/release-and-allow')
  @HttpCode(202)
  @ApiProblemResponse(403, 'a user may not edit an allow list (P6)')
  async releaseAndAllow(@Param('tenantId') t: string, @Param('domain') d: string, @Param('address') a: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal) {
    const result = await this.quarantine.release(t, d, a, id, actor, true);
    await this.jobs.relay();
    return result;
  }

  @Post('items/:id/forward')
  @HttpCode(202)
  @ApiProblemResponse(429, 'forward-limit: the user or the tenant reached its forwards per window (Retry-After says when to try again)')
  async forward(
    @Param('tenantId') t: string,
    @Param('domain') d: string,
    @Param('address') a: string,
    @Param('id') id: string,
    @Body() body: ForwardDto,
    @CurrentPrincipal() actor: Principal,
    @Res({ passthrough: true }) res: { setHeader(name: string, value: string): unknown },
  ) {
    try {
      const result = await this.quarantine.forward(t, d, a, id, body.to, actor);
      await this.jobs.relay();
      return result;
    } catch (error) {
      // The problem filter answers; the header it keeps tells a client when a place frees in the window.
      if (error instanceof ProblemException && error.code === 'forward-limit') res.setHeader('Retry-After', String(error.extensions['retryAfterSeconds']));
      throw error;
    }
  }

  /** Sends this box's digest now (items since the last one), whatever the schedule. */
  @Post('digest')
  @HttpCode(202)
  async digest(@Param('tenantId') t: string, @Param('domain') d: string, @Param('address') a: string, @CurrentPrincipal() actor: Principal) {
    const result = await this.quarantine.digestNow(t, d, a, actor);
    await this.jobs.relay();
    return result;
  }
}
