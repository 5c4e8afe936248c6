import { Inject, Injectable, Logger } from '@nestjs/common';
import { Direction, MailSubmitSchema, NotifyCondition, create, timestampFromDate } from '@torii/contracts';
import { composeDelayDsn, delayDsnRecipients, headerSection, type DsnRecipient, type DsnReturnMode } from '@torii/dsn';
import { counter } from '@torii/telemetry';
import { ObjectNotFoundError, submitKey } from '@torii/storage';
import { SPOOL_CONFIG, type SpoolConfig } from '../config/spool.config';
import { SpoolBus } from './spool-bus.repository';
import { MessageObjects } from './message-objects.repository';
import type { SpooledWithRecipients } from './spool.repository';

const HEADER_PEEK_BYTES = 256 * 1024;
const dsnSent = counter('torii_spool_dsn_total', 'DSNs the spool handed to delivery', ['kind']);

/**
 * SEC2's delay notice: an RFC 3464 report (Action: delayed) to the sender for the recipients that want one,
 * stored and handed to `mail.submit`. The DSN id is derived from the message, so a repeat after a crash
 * overwrites the same object and is deduplicated on the stream. A notice nobody wants is settled without
 * reading the stored message; when that message is gone, the notice still goes, without its headers.
 */
@Injectable()
export class DelayNoticeService {
  private readonly logger = new Logger(DelayNoticeService.name);

  constructor(
    private readonly objects: MessageObjects,
    private readonly bus: SpoolBus,
    @Inject(SPOOL_CONFIG) private readonly config: SpoolConfig,
  ) {}

  async send(message: SpooledWithRecipients, now: Date): Promise<boolean> {
    const recipients: DsnRecipient[] = message.recipients.map((r) => ({
      address: r.address,
      notify: r.notify,
      orcpt: r.orcpt,
      status: message.lastStatus.startsWith('4.') ? message.lastStatus : '4.4.1',
      remoteMta: message.remoteHost,
      diagnostic: message.lastError,
      lastAttemptAt: message.lastAttemptAt,
    }));
    // Owed to nobody (the null sender, NOTIFY=NEVER, NOTIFY without DELAY): settled without the object.
    if (delayDsnRecipients(message.mailFrom, recipients).length === 0) return false;
    const dsnId = `dsn-delay-${message.id}`.replace(/[^A-Za-z0-9_-]/g, '');
    const headers = await this.originalHeaders(message);
    const raw = composeDelayDsn(
      {
        reportingMta: this.config.GATEWAY_HOSTNAME,
        mailFrom: message.mailFrom,
        envid: message.envid,
        ret: message.ret as DsnReturnMode,
        arrivalDate: message.receivedAt,
        recipients,
        dsnId,
        now,
        brand: this.config.TORII_BRAND,
        willRetryUntil: message.giveUpAt,
      },
      { type: 'headers', headers },
    );
    if (!raw) return false;
    const key = submitKey({ tenantId: message.tenantId, submittedAt: now, submitId: dsnId });
    const stored = await this.objects.put(key, raw);
    // Back the way the message came: an inbound message's sender is on the Internet.
    const direction = message.direction === 'inbound' ? Direction.OUTBOUND : Direction.INBOUND;
    await this.bus.submit(
      create(MailSubmitSchema, {
        submitId: dsnId,
        tenantId: message.tenantId,
        origin: 'spool',
        purpose: 'dsn-delay',
        direction,
        envelope: { mailFrom: '', rcptTo: [{ address: message.mailFrom, notify: [NotifyCondition.NEVER] }] },
        bucket: this.objects.bucket,
        objectKey: key,
        size: BigInt(stored.size),
        sha256: stored.sha256,
        bypass: ['spam', 'virus', 'audit'],
        relatedMessageId: message.id,
        domain: message.domain,
        submittedAt: timestampFromDate(now),
      }),
    );
    dsnSent.inc({ kind: 'delay' });
    this.logger.log(`delay DSN ${dsnId} for ${message.id} to <${message.mailFrom}>`);
    return true;
  }

  /**
   * Only headers return in a delay notice: the message is still on its way, the sender has it anyway. When
   * the stored message is gone (storage loss, a lifecycle rule), the report goes without them.
   */
  private async originalHeaders(message: SpooledWithRecipients): Promise<Buffer> {
    try {
      return headerSection(await this.objects.head(message.objectKey, HEADER_PEEK_BYTES));
    } catch (error) {
      if (!(error instanceof ObjectNotFoundError)) throw error;
      this.logger.warn(`delay DSN for ${message.id}: the stored message ${message.objectKey} is gone; the report goes without its headers`);
      return Buffer.alloc(0);
    }
  }
}
