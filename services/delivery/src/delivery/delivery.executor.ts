import { Inject, Injectable, Logger } from '@nestjs/common';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import { describeError, isPermanent } from '@torii/errors';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import { DeliveryRepository, type MessageWithRecipients, type OutboxEvent, type RecipientRow, type RecipientUpdate } from '../persistence/delivery.repository';
import { RouterService, type Route } from '../routing/router.service';
import { classifyReply, connectionFailure, formatReply, type SmtpReply } from '../smtp/smtp-reply.rules';
import { sendSmtpTransaction, type SmtpTransactionResult } from '../smtp/smtp.sender';
import type { DeliverTreatment } from '../verdicts/verdict-join.rules';
import type { ClaimStatus } from './claim-lease';
import { DEFERRAL_HANDLER, type DeferralHandler } from './deferral.handler';
import { claimsLost, recipientOutcomes } from './delivery.metrics';
import { MessageContent } from './message-content';
import { domainOf, groupRecipients } from './recipient-grouping.rules';
import { recipientStatusEvent } from './status-events';

type Claimed = Omit<RecipientRow, 'treatment'> & { treatment: DeliverTreatment };

/** Delivers the claimed recipients of one message: one SMTP transaction per destination and treatment. */
const tracer = trace.getTracer('@torii/delivery');

/** How long a failing write of an outcome is retried (well inside DELIVERY_LEASE, which the worker renews meanwhile). */
const RECORD_RETRY_MS = 60_000;

@Injectable()
export class DeliveryExecutor {
  private readonly logger = new Logger(DeliveryExecutor.name);

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly router: RouterService,
    private readonly content: MessageContent,
    @Inject(DEFERRAL_HANDLER) private readonly deferral: DeferralHandler,
    @Inject(DELIVERY_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  /**
   * One delivery pass of a claimed message, as a span of the trace its event came with (O2). `claim` (the
   * worker's lease keeper) is asked before each SMTP transaction: once it is lost, nothing more is sent.
   */
  deliver(message: MessageWithRecipients, claim: ClaimStatus = HELD): Promise<void> {
    const parent = message.traceParent ? propagation.extract(ROOT_CONTEXT, { traceparent: message.traceParent }) : ROOT_CONTEXT;
    return tracer.startActiveSpan(
      'delivery attempt',
      { kind: SpanKind.CLIENT, attributes: { 'torii.message.id': message.id, 'torii.recipients': message.recipients.length } },
      parent,
      async (span) => {
        try {
          await this.deliverClaimed(message, claim);
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  private async deliverClaimed(message: MessageWithRecipients, claim: ClaimStatus): Promise<void> {
    const claimed: Claimed[] = message.recipients.map((r) => ({
      ...r,
      treatment: (r.treatment as unknown as DeliverTreatment | null) ?? { headers: [] },
    }));
    const whereabouts = await this.content.whereabouts(message);
    if (whereabouts !== 'stored') return this.recordMissing(message, claimed, whereabouts);
    const inbound = message.direction === 'inbound';
    const groups = groupRecipients(claimed, (r) => (inbound ? message.domain : domainOf(r.address)));
    for (const [index, group] of groups.entries()) {
      if (claim.lost) return this.stopLost(message, groups.length - index);
      try {
        if ((await this.deliverGroup(message, group.destination, group.treatment, group.recipients, inbound, claim)) === 'claim-lost') {
          return this.stopLost(message, groups.length - index);
        }
      } catch (error) {
        // Our own failure (database, object store): the lease runs out and the group is tried again.
        this.logger.error(`message ${message.id} to ${group.destination}: ${describeError(error)}`);
      }
    }
  }

  private async deliverGroup(
    message: MessageWithRecipients,
    destination: string,
    treatment: DeliverTreatment,
    recipients: Claimed[],
    inbound: boolean,
    claim: ClaimStatus,
  ): Promise<'claim-lost' | undefined> {
    const route: Route = inbound ? await this.router.tenantServer(destination) : await this.router.recipientDomain(destination);
    const addresses = recipients.map((r) => r.address);
    let replies = new Map<string, SmtpReply>();
    let host = '';
    let ip = '';
    if (route.kind === 'failed') {
      for (const a of addresses) replies.set(a, route.reply);
    } else {
      let result: SmtpTransactionResult | undefined;
      for (const [index, hop] of route.hops.entries()) {
        if (claim.lost) return 'claim-lost'; // before the next host of this destination
        const attemptId = await this.repository.startAttempt(message.id, addresses, hop.host, hop.ip);
        this.logger.log(`attempt ${attemptId} start message=${message.id} host=${hop.host} ip=${hop.ip} rcpts=${addresses.length}`);
        result = await sendSmtpTransaction({
          host: hop.host,
          ip: hop.ip,
          port: hop.port,
          ehloName: this.config.GATEWAY_HOSTNAME,
          mailFrom: (message.envelope as { mailFrom?: string }).mailFrom ?? '',
          recipients: addresses,
          openMessage: () => this.content.open(message, treatment, addresses),
          connectTimeoutMs: this.config.SMTP_CONNECT_TIMEOUT,
          socketTimeoutMs: this.config.SMTP_SOCKET_TIMEOUT,
        });
        host = hop.host;
        ip = hop.ip;
        const summary = summarise(result);
        const dataReply = result.dataReply ? { code: result.dataReply.code, text: formatReply(result.dataReply) } : undefined;
        this.logger.log(`attempt ${attemptId} end message=${message.id} outcome=${summary}`);
        if (!result.connected && index < route.hops.length - 1) {
          await this.repository.finishAttempt(attemptId, summary, dataReply);
          continue;
        }
        // The attempt's end and the recipients' new states commit together: an attempt without an end is
        // exactly a transaction whose outcome a crash may have lost (the only source of duplicates).
        await this.record(message, recipients, result.replies, host, ip, { id: attemptId, outcome: summary, dataReply });
        return;
      }
      replies = new Map(addresses.map((a) => [a, connectionFailure('no host to try')]));
    }
    await this.record(message, recipients, replies, host, ip);
  }

  /**
   * The claim is lost (taken over, or its lease not renewed for a lease): another worker may be sending these
   * recipients now. Nothing is written; the lease hands them on if nobody has them yet.
   */
  private stopLost(message: MessageWithRecipients, groupsLeft: number): void {
    claimsLost.inc();
    this.logger.warn(`message ${message.id}: claim lost (lease taken over, or not renewed in time); sending stopped with ${groupsLeft} destination group(s) left to the claim's holder`);
  }

  private async record(
    message: MessageWithRecipients,
    recipients: Claimed[],
    replies: Map<string, SmtpReply>,
    host: string,
    ip: string,
    attempt?: { id: bigint; outcome: string; dataReply?: { code: number; text: string } },
  ) {
    const now = new Date();
    const outcomes: { update: RecipientUpdate; event?: OutboxEvent }[] = [];
    for (const r of recipients) {
      const reply = replies.get(r.address) ?? connectionFailure('no reply recorded');
      const remote = { host, ip, code: reply.code, enhanced: reply.enhanced, text: reply.text };
      let update: RecipientUpdate;
      switch (classifyReply(reply)) {
        case 'success':
          update = { id: r.id, state: 'delivered', reason: 'remote-accepted', reply: remote };
          break;
        case 'permanent':
          update = { id: r.id, state: 'bounced', reason: 'remote-permanent', reply: remote, dsnPending: true };
          break;
        case 'temporary': {
          const firstFailedAt = r.firstFailedAt ?? now;
          const decision = this.deferral.onTemporaryFailure({ attempt: r.attempts, firstFailedAt, now });
          update =
            decision.action === 'retry'
              ? { id: r.id, state: 'deferred', reason: 'remote-temporary', reply: remote, nextAttemptAt: decision.at, firstFailedAt }
              : { id: r.id, state: 'bounced', reason: 'expired', reply: remote, firstFailedAt, dsnPending: true };
          break;
        }
      }
      const event = recipientStatusEvent(message, r, update, now, {
        remote: reply.code || host ? remote : undefined,
        nextAttemptAt: update.nextAttemptAt ?? undefined,
        handoff: update.state === 'deferred' ? this.handoff(message, r, update.firstFailedAt ?? now) : undefined,
      });
      outcomes.push({ update, event });
    }
    // Written only while the claim is still ours: a worker whose lease ran out and was taken over must not
    // overwrite (or announce) what the newer claimant does.
    const applied = await this.writeOutcomes(message, recipients, outcomes, attempt);
    if (applied < outcomes.length) {
      this.logger.warn(`message ${message.id}: claim lost for ${outcomes.length - applied} recipient(s); their outcome was not written`);
    }
  }

  /**
   * The stored message is gone, so no attempt can succeed: retrying for days would only delay the answer.
   * Withdrawn by the edge (the client was told 451 and sends again): dropped, no DSN. Lost after a 250:
   * bounced with a DSN (the sender must know), and logged as an error for the operator.
   */
  private async recordMissing(message: MessageWithRecipients, recipients: Claimed[], why: 'withdrawn' | 'lost'): Promise<void> {
    const now = new Date();
    if (why === 'lost') this.logger.error(`message ${message.id}: stored object ${message.objectKey} is missing; bouncing it`);
    else this.logger.warn(`message ${message.id}: withdrawn by the edge (its object and sidecar are gone); dropped`);
    const reply = { code: 554, enhanced: '5.3.0', text: 'The message was lost in storage at the gateway', host: '', ip: '' };
    const outcomes = recipients.map((r) => {
      const update: RecipientUpdate =
        why === 'lost'
          ? { id: r.id, state: 'bounced', reason: 'content-lost', reply, dsnPending: true }
          : { id: r.id, state: 'dropped', reason: 'withdrawn' };
      const event = recipientStatusEvent(message, r, update, now, { remote: why === 'lost' ? reply : undefined });
      return { update, event };
    });
    await this.writeOutcomes(message, recipients, outcomes);
  }

  /** Writes the outcomes while the claim is ours, and counts them once written; returns how many were. */
  /**
   * Writes an outcome, waiting out a short database failure: an outcome that is not written is a transaction
   * the lease will send again (a duplicate at the tenant's server for a one-second blip). The worker keeps
   * renewing the lease meanwhile; after RECORD_RETRY_MS, or on a permanent error, it gives up as before.
   */
  private async persistently<T>(message: MessageWithRecipients, write: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + RECORD_RETRY_MS;
    for (let delay = 250; ; delay = Math.min(delay * 2, 10_000)) {
      try {
        return await write();
      } catch (error) {
        if (isPermanent(error) || Date.now() + delay > deadline) throw error;
        this.logger.warn(`message ${message.id}: writing the outcome failed (${describeError(error)}); again in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async writeOutcomes(
    message: MessageWithRecipients,
    recipients: Claimed[],
    outcomes: { update: RecipientUpdate; event?: OutboxEvent }[],
    attempt?: { id: bigint; outcome: string; dataReply?: { code: number; text: string } },
  ): Promise<number> {
    const applied = await this.persistently(message, () => this.repository.applyDeliveryOutcome(claimTokenOf(recipients), outcomes, attempt));
    if (applied === outcomes.length) {
      for (const { update } of outcomes) recipientOutcomes.inc({ direction: message.direction, state: update.state });
    }
    return applied;
  }

  /** SEC: the facts the spool keeps for a deferred recipient, when the deferral handler hands over. */
  private handoff(message: MessageWithRecipients, r: Claimed, firstFailedAt: Date) {
    return this.deferral.handoff?.({
      domain: message.domain,
      bucket: message.bucket,
      objectKey: message.objectKey,
      size: message.size,
      envelope: message.envelope as { mailFrom?: string; ret?: string; envid?: string },
      receivedAt: message.receivedAt,
      firstFailedAt,
      recipient: { address: r.address, notify: r.notify, orcpt: r.orcpt },
    });
  }
}

/** For a caller that keeps no lease (the claim is taken as held throughout). */
const HELD: ClaimStatus = { lost: false };

/** One claim covers a message's recipients: they share its token (null for claims older than tokens). */
function claimTokenOf(recipients: Claimed[]): string | null {
  return recipients[0]?.claimToken ?? null;
}

function summarise(result: SmtpTransactionResult): string {
  if (!result.connected) return 'failed';
  const classes = new Set([...result.replies.values()].map(classifyReply));
  if (classes.size > 1) return 'partial';
  const [only] = [...classes];
  return only === 'success' ? 'delivered' : only === 'permanent' ? 'bounced' : 'deferred';
}
