import { Inject, Injectable, Logger } from '@nestjs/common';
import { Codecs, Direction, MailSubmitSchema, NotifyCondition, Subjects, create, timestampFromDate } from '@torii/contracts';
import { describeError } from '@torii/errors';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import { DeliveryRepository, type MessageWithRecipients } from '../persistence/delivery.repository';
import { MessageObjects } from '../persistence/message-objects';
import { statusCode } from '../smtp/smtp-reply.rules';
import { composeFailureDsn, failureDsnRecipients, headerSection, returnMode, type DsnRecipient, type DsnReturnMode, type ReturnedContent } from '@torii/dsn';
import { ObjectNotFoundError, submitKey } from '@torii/storage';
import { randomBytes, randomUUID } from 'node:crypto';

const HEADER_PEEK_BYTES = 256 * 1024;

/** The lease row of the DSN pass: one replica composes DSNs at a time. */
const LEASE = 'dsn';
/** How long a pass holds the lease without renewing it (it renews before each message). */
const LEASE_MS = 60_000;

/**
 * Sends the failure DSNs owed for bounced recipients: composes the report, stores it, and hands it to
 * `mail.submit` (through the outbox) to be delivered like any other message. The DSN id is deterministic
 * (a retry publishes the same submission, dropped as a duplicate); its stored object has a key of its own
 * per composition, so two compositions never overwrite each other's bytes.
 *
 * Every replica's worker calls `sendPending`; one pass runs at a time, under the `dsn` lease. A pass that
 * outlived its lease (a stalled pod) may still race the next holder: `completeDsn` then refuses the
 * recipients someone else settled, and the loser deletes the object it stored (race 4 of session 7).
 */
@Injectable()
export class DsnService {
  private readonly logger = new Logger(DsnService.name);
  /** This replica's name on the lease row. */
  private readonly holder = randomUUID();

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly objects: MessageObjects,
    @Inject(DELIVERY_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  /** One pass; returns how many messages owed a DSN when it looked (0 when another replica holds the pass). */
  async sendPending(limit = 20): Promise<number> {
    // The cheap look first: an idle worker does not write the lease row on every step.
    if ((await this.repository.pendingDsns(1)).length === 0) return 0;
    if (!(await this.repository.takeLease(LEASE, this.holder, LEASE_MS))) return 0;
    try {
      const messages = await this.repository.pendingDsns(limit);
      for (const message of messages) {
        if (!(await this.repository.takeLease(LEASE, this.holder, LEASE_MS))) break; // taken over: a stall outlived it
        try {
          await this.sendFor(message);
        } catch (error) {
          this.logger.warn(`DSN for ${message.id}: ${describeError(error)}`);
        }
      }
      return messages.length;
    } finally {
      await this.repository.releaseLease(LEASE, this.holder);
    }
  }

  /** The original (or its headers) to return; when the object is gone, the report still goes, without it. */
  private async returnedContent(message: MessageWithRecipients, mode: 'full' | 'headers'): Promise<ReturnedContent> {
    try {
      return mode === 'full'
        ? { type: 'full', message: await this.objects.readWhole(message.objectKey) }
        : { type: 'headers', headers: headerSection(await this.objects.head(message.objectKey, HEADER_PEEK_BYTES)) };
    } catch (error) {
      if (!(error instanceof ObjectNotFoundError)) throw error;
      this.logger.warn(`DSN for ${message.id}: the stored message is gone; the report goes without it`);
      return { type: 'headers', headers: Buffer.alloc(0) };
    }
  }

  private async sendFor(message: MessageWithRecipients): Promise<void> {
    const envelope = message.envelope as { mailFrom?: string; ret?: string; envid?: string };
    const mailFrom = envelope.mailFrom ?? '';
    const ids = message.recipients.map((r) => r.id);
    const recipients: DsnRecipient[] = message.recipients.map((r) => ({
      address: r.address,
      notify: r.notify,
      orcpt: r.orcpt,
      // Given up after the retry period: 5.4.7 "delivery time expired" (RFC 3463), whatever the last temporary
      // reply said (it stays in Diagnostic-Code); other bounces carry their reply's own code.
      status:
        r.reason === 'expired'
          ? '5.4.7'
          : statusCode({ code: r.lastCode ?? 550, enhanced: r.lastEnhanced ?? '', text: r.lastText ?? '' }).replace(/^4/, '5'),
      remoteMta: r.remoteHost ?? '',
      diagnostic: r.lastCode ? [r.lastCode, r.lastEnhanced, r.lastText].filter(Boolean).join(' ') : (r.lastText ?? ''),
      lastAttemptAt: r.updatedAt,
    }));
    const dsnId = `dsn-${message.id}-${ids[0]}`.replace(/[^A-Za-z0-9_-]/g, '');
    // Owed to nobody (the null sender, NOTIFY=NEVER, no FAILURE): settle without touching the object, so a
    // missing object can never keep this row pending.
    if (failureDsnRecipients(mailFrom, recipients).length === 0) {
      await this.repository.completeDsn(message.id, ids, undefined);
      return;
    }
    const ret = (envelope.ret ?? 'unspecified') as DsnReturnMode;
    const returned = await this.returnedContent(message, returnMode(ret, Number(message.size), this.config.DSN_FULL_MAX_BYTES));
    const now = new Date();
    const raw = composeFailureDsn(
      {
        reportingMta: this.config.GATEWAY_HOSTNAME,
        mailFrom,
        envid: envelope.envid ?? '',
        ret,
        arrivalDate: message.receivedAt,
        recipients,
        dsnId,
        now,
        brand: this.config.TORII_BRAND,
      },
      returned,
    );
    if (!raw) {
      await this.repository.completeDsn(message.id, ids, undefined);
      return;
    }
    // Its own key: a second composition of the same DSN id (other bytes: another time, maybe other
    // recipients) must not replace the object a committed submission's size and sha256 describe.
    const key = submitKey({ tenantId: message.tenantId, submittedAt: now, submitId: `${dsnId}-${randomBytes(6).toString('hex')}` });
    const stored = await this.objects.put(key, raw);
    // The DSN goes back the way the message came: an inbound message's sender is on the Internet.
    const direction = message.direction === 'inbound' ? Direction.OUTBOUND : Direction.INBOUND;
    const submit = create(MailSubmitSchema, {
      submitId: dsnId,
      tenantId: message.tenantId,
      origin: 'delivery',
      purpose: 'dsn-failure',
      direction,
      envelope: { mailFrom: '', rcptTo: [{ address: mailFrom, notify: [NotifyCondition.NEVER] }] },
      bucket: this.objects.bucket,
      objectKey: key,
      size: BigInt(stored.size),
      sha256: stored.sha256,
      bypass: ['spam', 'virus', 'audit'],
      relatedMessageId: message.id,
      domain: message.domain,
      submittedAt: timestampFromDate(now),
    });
    const completed = await this.repository.completeDsn(message.id, ids, {
      subject: Subjects.mailSubmit,
      msgId: dsnId,
      typeName: Codecs.mailSubmit.typeName,
      payload: Codecs.mailSubmit.encode(submit),
    });
    if (!completed) {
      // Another pass settled some of these recipients meanwhile; what is still owed goes in the next pass.
      this.logger.warn(`DSN ${dsnId} for ${message.id}: its recipients were settled by another pass meanwhile; not sent`);
      await this.objects.delete(key).catch((error: unknown) => this.logger.warn(`DSN ${dsnId}: deleting ${key}: ${describeError(error)}`));
      return;
    }
    this.logger.log(`DSN ${dsnId} for ${message.id} to <${mailFrom}> (${recipients.length} recipients)`);
  }
}
