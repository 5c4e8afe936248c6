import { Controller, Get, Header, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@torii/auth';
import { AnyQuery } from '@torii/http';
import { QuarantineJobs } from './quarantine.jobs';
import { QuarantineLinksService } from './quarantine-links.service';

/** The part of Express's response we use (its types are not a dependency). */
interface HtmlResponse {
  status(code: number): { type(kind: string): { send(body: string): unknown } };
}

/**
 * Digest links (SPAM13): GET shows a confirmation page and changes nothing (link scanners fetch URLs);
 * only the page's POST acts. The signed token is the credential: single purpose, single use, expiring.
 */
@ApiTags('quarantine')
@Public()
// Opened from a mail by a person: whatever a tracker or a mail gateway appends (`?utm_source=…`) is ignored.
@AnyQuery()
@Controller('v1/quarantine/links')
export class QuarantineLinksController {
  constructor(
    private readonly links: QuarantineLinksService,
    private readonly jobs: QuarantineJobs,
  ) {}

  @Get(':token')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
  @Header('Referrer-Policy', 'no-referrer')
  async confirm(@Param('token') token: string, @Res() res: HtmlResponse): Promise<void> {
    const page = await this.links.confirmPage(token);
    res.status(page.status).type('html').send(page.html);
  }

  @Post(':token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
  @Header('Referrer-Policy', 'no-referrer')
  async act(@Param('token') token: string, @Res() res: HtmlResponse): Promise<void> {
    const page = await this.links.act(token);
    if (page.status === 200) await this.jobs.relay();
    res.status(page.status).type('html').send(page.html);
  }
}
