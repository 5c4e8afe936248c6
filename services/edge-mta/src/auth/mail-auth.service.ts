import type { Readable } from 'node:stream';
import type { AuthResultsSchema, MessageInitShape } from '@torii/contracts';
import { describeError } from '@torii/errors';
import type { Logger } from '@torii/telemetry';
import { authenticate } from 'mailauth';
import { spf } from 'mailauth/lib/spf';
import type { DnsResolver } from '../dns/resolver';

export type AuthResultsInit = MessageInitShape<typeof AuthResultsSchema>;
export type SpfInit = NonNullable<AuthResultsInit['spf']>;

export interface SessionFacts {
  ip: string;
  helo: string;
  /** MAIL FROM; empty for `<>`. */
  sender: string;
}

/**
 * SPF, DKIM, DMARC and ARC with mailauth. Results are recorded, never acted on here: the spam filter and
 * delivery decide what they mean. A DNS failure is a `temperror` result, never a refused message.
 */
export class MailAuthService {
  constructor(
    private readonly resolver: DnsResolver,
    /** Our authserv-id in the Authentication-Results text. */
    private readonly authservId: string,
    private readonly logger: Logger,
  ) {}

  /** SPF of the MAIL FROM domain (or HELO for `<>`), at MAIL time. */
  async checkSpf(facts: SessionFacts): Promise<SpfInit> {
    try {
      const result = await spf({ ...this.options(facts) });
      return { result: result.status.result, domain: result.domain ?? '', explanation: result.status.comment ?? '' };
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'spf check failed');
      return { result: 'temperror', domain: facts.sender.split('@')[1] ?? facts.helo, explanation: 'check failed' };
    }
  }

  /** Every check, over the whole message, at the end of DATA. */
  async authenticate(message: Readable, facts: SessionFacts): Promise<AuthResultsInit> {
    try {
      const result = await authenticate(message, { ...this.options(facts), disableBimi: true });
      const header = result.headers
        ?.split(/\r?\n(?=\S)/)
        .find((h) => /^Authentication-Results:/i.test(h));
      return {
        spf: result.spf
          ? { result: result.spf.status.result, domain: result.spf.domain ?? '', explanation: result.spf.status.comment ?? '' }
          : undefined,
        dkim: (result.dkim?.results ?? []).map((row) => ({
          result: row.status?.result ?? 'none',
          domain: row.signingDomain ?? '',
          selector: row.selector ?? '',
        })),
        dmarc: result.dmarc
          ? { result: result.dmarc.status.result, policy: result.dmarc.policy ?? '', domain: result.dmarc.status.header?.from ?? result.dmarc.domain }
          : { result: 'none' },
        arc: { result: result.arc ? result.arc.status.result : 'none' },
        authenticationResultsHeader: header ? header.replace(/^Authentication-Results:\s*/i, '').trim() : '',
      };
    } catch (error) {
      message.resume();
      this.logger.warn({ err: describeError(error) }, 'message authentication failed');
      return { dmarc: { result: 'temperror' }, arc: { result: 'temperror' }, authenticationResultsHeader: '' };
    }
  }

  private options(facts: SessionFacts) {
    return {
      ip: facts.ip,
      helo: facts.helo,
      sender: facts.sender,
      mta: this.authservId,
      resolver: this.resolver as (name: string, rrtype: string) => Promise<never>,
    };
  }
}
