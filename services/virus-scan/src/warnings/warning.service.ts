import { Inject, Injectable, Logger } from '@nestjs/common';
import MailComposer from 'nodemailer/lib/mail-composer';
import { Direction, MailSubmitSchema, NotifyCondition, create, timestampFromDate, type DomainDirectory, type MailReceived } from '@torii/contracts';
import { submitKey } from '@torii/storage';
import { VIRUS_SCAN_CONFIG, type VirusScanConfig } from '../config/virus-scan.config';
import { MessageSource } from '../scan/message-source';
import { VerdictPublisher } from '../scan/verdict.publisher';
import type { Finding } from '../scan/verdict.rules';
import { DirectoryCache } from '../directory/directory.cache';
import { outcomeOf, warningGroups, warningRecipients, warningText, type DirectionName } from './warning.rules';

/**
 * Composes the warning mail about an infected message and hands it to delivery on `mail.submit` (delivery is
 * the only SMTP egress). Ids are derived from the message id, so a redelivered event re-sends nothing new.
 */
@Injectable()
export class WarningService {
  private readonly logger = new Logger(WarningService.name);

  constructor(
    private readonly source: MessageSource,
    private readonly publisher: VerdictPublisher,
    @Inject(VIRUS_SCAN_CONFIG) private readonly config: VirusScanConfig,
    private readonly directory: DirectoryCache,
  ) {}

  async warn(event: MailReceived, entry: DomainDirectory, direction: DirectionName, findings: Finding[], subject: string): Promise<void> {
    const sender = event.envelope?.mailFrom ?? '';
    const recipients = (event.envelope?.rcptTo ?? []).map((r) => r.address);
    const to = warningRecipients({ direction, sender, recipients, admins: entry.adminEmails });
    if (to.length === 0) return;
    const { subject: warningSubject, text } = warningText({
      brand: this.config.TORII_BRAND,
      direction,
      messageId: event.messageId,
      sender,
      recipients,
      subject,
      findings,
      outcome: outcomeOf(direction, findings),
    });
    // Addresses of the tenant's domains go to that domain's server (inbound); any other address goes out to its MX.
    const tenantDomains = new Set<string>();
    for (const address of to) {
      const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
      if (tenantDomains.has(domain)) continue;
      const other = await this.directory.lookup(domain);
      if (other?.tenantId === event.tenantId) tenantDomains.add(domain);
    }
    const now = new Date();
    for (const group of warningGroups(to, event.domain, tenantDomains)) {
      const { suffix, domain, recipients: rcpts } = group;
      const toDirection = group.direction === 'inbound' ? Direction.INBOUND : Direction.OUTBOUND;
      const submitId = `virus-warning-${event.messageId}-${suffix}`;
      const raw = await new MailComposer({
        from: { name: `${this.config.TORII_BRAND} virus check`, address: `postmaster@${this.config.GATEWAY_HOSTNAME}` },
        to: rcpts,
        subject: warningSubject,
        text,
        messageId: `<${submitId}@${this.config.GATEWAY_HOSTNAME}>`,
        date: now,
        headers: { 'Auto-Submitted': 'auto-generated' },
      })
        .compile()
        .build();
      const key = submitKey({ tenantId: event.tenantId, submittedAt: now, submitId });
      const stored = await this.source.put(key, raw);
      await this.publisher.submit(
        create(MailSubmitSchema, {
          submitId,
          tenantId: event.tenantId,
          origin: 'virus-scan',
          purpose: 'virus-warning',
          direction: toDirection,
          // The null reverse path: a warning must never cause a bounce loop.
          envelope: { mailFrom: '', rcptTo: rcpts.map((address) => ({ address, notify: [NotifyCondition.NEVER] })) },
          bucket: this.source.bucket,
          objectKey: key,
          size: BigInt(stored.size),
          sha256: stored.sha256,
          bypass: ['spam', 'virus', 'audit'],
          relatedMessageId: event.messageId,
          domain,
          submittedAt: timestampFromDate(now),
        }),
      );
      this.logger.log(`warning ${submitId} about ${event.messageId} to ${rcpts.join(', ')}`);
    }
  }
}
