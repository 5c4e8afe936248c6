import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { Codecs, timestampDate, type MailReceived } from '@torii/contracts';
import { HeaderRewriter, authservId, formatReceived, formatReceivedSpf, stampDeliveryHeaders, type HeaderBlock } from '@torii/mime';
import { sidecarKey } from '@torii/storage';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import type { MessageRow } from '../persistence/delivery.repository';
import { MessageObjects } from '../persistence/message-objects';
import { ReleaseVerdictsRepository } from '../quarantine/release-verdicts.repository';
import { taggedSubject } from '../spam/spam-headers.rules';
import { verdictHeaderNames, type DeliverTreatment } from '../verdicts/verdict-join.rules';
import { stripInfectedParts } from '../virus/part-stripper';

/** The bytes that leave the gateway: the stored object streamed through our header edits, body untouched. */
@Injectable()
export class MessageContent {
  private readonly logger = new Logger(MessageContent.name);
  private readonly authservId: string;

  constructor(
    private readonly objects: MessageObjects,
    @Inject(DELIVERY_CONFIG) private readonly config: DeliveryConfig,
    private readonly releases: ReleaseVerdictsRepository,
  ) {
    this.authservId = config.AUTHSERV_ID ?? config.GATEWAY_HOSTNAME;
  }

  /**
   * Whether the stored message can still be sent. `withdrawn`: the edge took it back (its publish was not
   * acknowledged, it answered 451 and deleted the sidecar first, then the object), so the client retries and
   * nobody is owed this copy. `lost`: the edge said 250 (its sidecar is there) but the object is gone —
   * storage lost it; the sender must hear of it. Only a definite "no such object" counts, never an error.
   */
  async whereabouts(message: Pick<MessageRow, 'objectKey' | 'origin'>): Promise<'stored' | 'withdrawn' | 'lost'> {
    if (await this.objects.exists(message.objectKey)) return 'stored';
    if (message.origin !== 'received') return 'lost';
    return (await this.objects.exists(sidecarKey(message.objectKey))) ? 'lost' : 'withdrawn';
  }

  async open(message: MessageRow, treatment: DeliverTreatment, recipients: string[]): Promise<Readable> {
    const arrival = await this.arrival(message);
    const stored = await this.objects.open(message.objectKey);
    // AV2: infected attachments replaced by a notice; everything else passes byte for byte.
    const source = treatment.strip?.length ? stripInfectedParts(stored, treatment.strip, this.config.TORII_BRAND) : stored;
    const rewriter = new HeaderRewriter((headers) => this.edit(headers, message, arrival, treatment, recipients));
    source.on('error', (error) => rewriter.destroy(error));
    return source.pipe(rewriter);
  }

  /**
   * The edge's facts the Authentication-Results is made of: a received message's own event; for a quarantine
   * release (a submission of the original's bytes), the original's, so the mailbox gets the results the first
   * pass would have given it (a released DMARC-failing spoof still says so). Without the original's row the
   * release carries no Authentication-Results of ours, as any other submission.
   */
  private async arrival(message: MessageRow): Promise<MailReceived | undefined> {
    if (message.origin === 'received') return Codecs.mailReceived.decode(Buffer.from(JSON.stringify(message.event)));
    const submit = Codecs.mailSubmit.decode(Buffer.from(JSON.stringify(message.event)));
    if (submit.purpose !== 'quarantine-release' || !submit.relatedMessageId) return undefined;
    const original = await this.releases.originalArrival(submit);
    if (!original) this.logger.warn(`release ${message.id}: no delivery row of the original ${submit.relatedMessageId}; sent without its Authentication-Results`);
    return original;
  }

  private edit(headers: HeaderBlock, message: MessageRow, arrival: MailReceived | undefined, treatment: DeliverTreatment, recipients: string[]): void {
    // Our verdict headers are ours alone. Whatever a message brings under their names goes, also for a check the
    // domain does not subscribe to: a sender could otherwise show `X-Torii-Virus-Check: clean` on mail never scanned.
    for (const name of verdictHeaderNames(this.config.TORII_BRAND)) headers.remove(name);
    if (treatment.subjectTag) {
      // Bytes, not text: a raw 8-bit Subject must leave exactly as it came, after the tag.
      // Replaced where it stands: moving it to the top would put it above the sender's trace fields.
      headers.replace('Subject', taggedSubject(headers.valueBytes('Subject')[0], treatment.subjectTag));
    }
    for (const header of [...treatment.headers].reverse()) {
      headers.remove(header.name);
      headers.prepend(header.name, header.value);
    }
    const forOne = recipients.length === 1 ? recipients[0] : undefined;
    if (message.origin === 'received' && arrival) {
      stampDeliveryHeaders(headers, {
        authservId: this.authservId,
        authenticationResults: this.authenticationResults(arrival),
        receivedSpf: this.receivedSpf(arrival),
        received: this.received(arrival, message, forOne),
      });
    } else {
      // A submission: our Received for the hand-over. A quarantine release also gets the original's results (its
      // sender hop's Received and Received-SPF spam-filter put back on top of the bytes, not stamped again here).
      stampDeliveryHeaders(headers, {
        authservId: this.authservId,
        authenticationResults: arrival ? this.authenticationResults(arrival) : undefined,
        received: formatReceived({
          fromHelo: 'localhost',
          fromIp: '127.0.0.1',
          by: this.config.GATEWAY_HOSTNAME,
          with: 'ESMTP',
          id: message.id,
          for: forOne,
          date: message.receivedAt,
        }),
      });
    }
  }

  private received(event: MailReceived, message: MessageRow, forOne: string | undefined): string {
    const client = event.client;
    const tls = client?.tls?.enabled ? [client.tls.version, client.tls.cipher].filter(Boolean).join(' ') || 'TLS' : undefined;
    return formatReceived({
      fromHelo: client?.helo || 'unknown',
      fromPtr: client?.ptr || undefined,
      fromIp: client?.ip || '0.0.0.0',
      by: event.receivedBy || this.config.GATEWAY_HOSTNAME,
      with: tls ? 'ESMTPS' : 'ESMTP',
      id: message.id,
      for: forOne,
      tls,
      date: event.receivedAt ? timestampDate(event.receivedAt) : message.receivedAt,
    });
  }

  /** The edge's SPF result as a trace field (RFC 7208 §9.1), with what a reader needs to check it again. */
  private receivedSpf(event: MailReceived): string | undefined {
    const spf = event.auth?.spf;
    if (!spf?.result) return undefined;
    return formatReceivedSpf({
      result: spf.result,
      domain: spf.domain,
      receiver: this.authservId,
      clientIp: event.client?.ip ?? '',
      helo: event.client?.helo ?? '',
      mailFrom: event.envelope?.mailFrom ?? '',
    });
  }

  /** The edge's results under our authserv-id (RFC 8601: ours is the only one a reader may trust). */
  private authenticationResults(event: MailReceived): string {
    const auth = event.auth;
    const given = auth?.authenticationResultsHeader?.trim();
    if (given) {
      if (authservId(given) === this.authservId.toLowerCase()) return given;
      const rest = given.includes(';') ? given.slice(given.indexOf(';') + 1).trim() : 'none';
      return `${this.authservId}; ${rest}`;
    }
    const parts: string[] = [];
    if (auth?.spf?.result) parts.push(`spf=${auth.spf.result}${auth.spf.domain ? ` smtp.mailfrom=${auth.spf.domain}` : ''}`);
    for (const d of auth?.dkim ?? []) parts.push(`dkim=${d.result}${d.domain ? ` header.d=${d.domain}` : ''}${d.selector ? ` header.s=${d.selector}` : ''}`);
    if (auth?.dmarc?.result) parts.push(`dmarc=${auth.dmarc.result}${auth.dmarc.domain ? ` header.from=${auth.dmarc.domain}` : ''}`);
    if (auth?.arc?.result) parts.push(`arc=${auth.arc.result}`);
    return `${this.authservId}; ${parts.length ? parts.join(';\r\n\t') : 'none'}`;
  }
}
