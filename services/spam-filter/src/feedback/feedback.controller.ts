import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@torii/auth';
import { FeedbackCreateDto, type FeedbackView } from './feedback.dto';
import { FeedbackService } from './feedback.service';

@ApiTags('spam feedback')
@Controller('v1/tenants/:tenantId/domains/:domain/spam/feedback')
export class FeedbackController {
  constructor(private readonly feedback: FeedbackService) {}

  @Post()
  @HttpCode(200)
  @Roles('admin', 'user')
  report(@Param('tenantId') tenantId: string, @Param('domain') domain: string, @Body() body: FeedbackCreateDto, @CurrentPrincipal() actor: Principal): Promise<FeedbackView> {
    return this.feedback.report(tenantId, domain, body.messageId, body.kind, actor);
  }
}
