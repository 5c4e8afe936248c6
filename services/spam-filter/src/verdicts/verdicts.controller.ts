import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { ApiProblemResponse } from '@torii/http';
import { VerdictsService, type SpamVerdictView } from './verdicts.service';

@ApiTags('spam verdicts')
@Controller('v1/tenants/:tenantId/domains/:domain/spam/messages')
export class VerdictsController {
  constructor(private readonly verdicts: VerdictsService) {}

  @Get(':messageId')
  @Roles('admin', 'user')
  @ApiOperation({
    summary: "A message's spam verdict: score, the evidence each way (with descriptions), rules fired, and each recipient's action and why",
    description: 'messageId is the queue id of the 250 reply (shown in the delivery status). A user sees only mail addressed to them.',
  })
  @ApiProblemResponse(404, 'no such domain of the tenant, or no scored message of it (or not addressed to the user)')
  find(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Param('messageId') messageId: string, @CurrentPrincipal() actor: Principal): Promise<SpamVerdictView> {
    return this.verdicts.find(tenantId, domain, messageId, actor);
  }
}
